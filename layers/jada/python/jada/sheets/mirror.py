"""From sheet values to a mirror plan: rows keyed by the header row's key column, a hash per row,
only changed rows written, removed rows tombstoned unless the read looks wrong. Pure: no I/O.

Column names are matched by their normalised form (`column_name`): case and surrounding whitespace
never matter, so `Port`, ` PORT ` and `port` are one column, and a row's data is keyed by it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from jada.errors import ConfigurationError

MAX_KEY_BYTES = 1024  # DynamoDB's sort key limit
#: a row's cells and column names, UTF-8: what fits one mirror item (DynamoDB allows 400 KB)
MAX_ROW_BYTES = 350 * 1024
#: a read with fewer than this fraction of the stored rows is suspicious: nothing is tombstoned
DEFAULT_MIN_FRACTION = 0.5


@dataclass(frozen=True)
class SheetRow:
    key: str
    number: int  # 1-based row number in the sheet (the header is row 1 of the range)
    data: dict[str, str]
    hash: str


@dataclass(frozen=True)
class Quarantined:
    number: int
    reason: str
    key: str | None = None


@dataclass(frozen=True)
class StoredRow:
    hash: str
    deleted: bool = False


@dataclass
class ParsedSheet:
    header: list[str]
    rows: list[SheetRow] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)


@dataclass
class MirrorPlan:
    upserts: list[SheetRow]
    tombstones: list[str]
    unchanged: int
    suspicious: str | None = None  # why the read looks wrong (then nothing is tombstoned)


def row_hash(data: dict[str, str]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def column_name(header: object) -> str:
    """A header cell's normalised name: trimmed, inner runs of whitespace as one space, case-folded."""
    return " ".join(str(header).split()).casefold()


def parse_sheet(values: list[list[object]], key_column: str) -> ParsedSheet:
    """Map rows by the header row. Invalid rows are quarantined with their row number."""
    if not values:
        return ParsedSheet(header=[])
    header = [column_name(cell) for cell in values[0]]
    key = column_name(key_column)
    if not key:
        raise ConfigurationError("the key column setting (SHEET_KEY_COLUMN) is blank")
    if key not in header:
        found = ", ".join(shown for cell in values[0] if (shown := str(cell).strip()))
        raise ConfigurationError(
            f"the header row has no key column {key_column!r}, case and surrounding spaces ignored "
            f"(found: {found or 'no column names'})"
        )
    _check_unique(values[0], header)
    parsed = ParsedSheet(header=header)
    first_seen: dict[str, int] = {}
    for number, raw in enumerate(values[1:], start=2):
        cells = [str(cell).strip() for cell in raw]
        if not any(cells):
            continue  # a blank line is not a row
        data = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header) if name}
        row_key = data[key]
        reason = _problem(cells, header, row_key, first_seen)
        if reason:
            parsed.quarantined.append(Quarantined(number, reason, row_key or None))
            continue
        first_seen[row_key] = number
        parsed.rows.append(SheetRow(key=row_key, number=number, data=data, hash=row_hash(data)))
    return parsed


def _check_unique(cells: list[object], header: list[str]) -> None:
    """Two columns with one normalised name would overwrite each other: name them and refuse."""
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        if name:
            positions.setdefault(name, []).append(index)
    repeated = [
        " and ".join(f"{str(cells[i]).strip()!r} (column {i + 1})" for i in where)
        for where in positions.values()
        if len(where) > 1
    ]
    if repeated:
        raise ConfigurationError(
            "the header row repeats a column name, case and surrounding spaces ignored: "
            + "; ".join(repeated)
        )


def _problem(cells: list[str], header: list[str], key: str, first_seen: dict[str, int]) -> str:
    if not key:
        return "empty key"
    if key in first_seen:
        return f"duplicate key (first at row {first_seen[key]})"
    if len(key.encode()) > MAX_KEY_BYTES:
        return "key too long"
    if any(cells[i] for i in range(len(cells)) if i >= len(header) or not header[i]):
        return "value in a column without a header"
    size = sum(len(text.encode()) for text in (*cells, *header))
    if size > MAX_ROW_BYTES:
        return f"row too large to store ({size // 1024} KB; at most {MAX_ROW_BYTES // 1024} KB)"
    return ""


def plan_mirror(
    parsed: ParsedSheet, stored: dict[str, StoredRow], *, min_fraction: float = DEFAULT_MIN_FRACTION
) -> MirrorPlan:
    upserts = [
        row
        for row in parsed.rows
        if (old := stored.get(row.key)) is None or old.deleted or old.hash != row.hash
    ]
    live = {key for key, old in stored.items() if not old.deleted}
    present = {row.key for row in parsed.rows} | {q.key for q in parsed.quarantined if q.key}
    tombstones = sorted(live - present)
    suspicious = None
    if not parsed.rows:
        suspicious = "the sheet returned no rows" if not parsed.quarantined else "no valid rows in the sheet"
    elif live and len(parsed.rows) < len(live) * min_fraction:
        suspicious = f"{len(parsed.rows)} rows read, far fewer than the {len(live)} stored"
    if suspicious:
        tombstones = []
    return MirrorPlan(upserts, tombstones, len(parsed.rows) - len(upserts), suspicious)
