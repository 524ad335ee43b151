"""Hostile sheet cells through the mirror: unicode, 50,000-character cells (the Sheets limit), formulas,
empty and ragged rows, duplicate and blank keys, headers in odd case and spacing. A plan or a
config_error, never an exception; no row lost; a tombstone only for a key absent from the sheet;
and every planned row can be written to the mirror table."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from jada.errors import ConfigurationError
from jada.sheets.mirror import ParsedSheet, StoredRow, parse_sheet, plan_mirror
from jada.sheets.store import SheetStore
from jada.stores import schema

from tests.conftest import NOW
from tests.fuzz.profiles import fuzz
from tests.fuzz.strategies import NASTY, huge_text

KEY = "port"
#: the Sheets API's cell limit
CELL_LIMIT = 50_000
FORMULAS = ('=IMPORTXML("https://evil.example/","//a")', "=SUM(A1:A9)", "=1/0", "#REF!", "#N/A", "@x", "-2+3")


def cells() -> st.SearchStrategy[Any]:
    """What the Sheets API returns in a row (strings, and numbers or booleans for raw values).
    Full 50,000-character cells are in the store test below: here long ones keep the run fast."""
    return st.one_of(
        st.text(max_size=20),
        st.sampled_from([*NASTY, *FORMULAS]),
        huge_text(1_000, 5_000),
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
    )


def spaced(name: str) -> st.SearchStrategy[str]:
    """`name` as a person types a header: any case, stray spaces around it."""
    return st.builds(
        lambda flips, left, right: (
            left + "".join(c.upper() if f else c for c, f in zip(name, flips, strict=True)) + right
        ),
        st.lists(st.booleans(), min_size=len(name), max_size=len(name)),
        st.sampled_from(["", " ", "  ", "\t"]),
        st.sampled_from(["", " ", "\u00a0"]),
    )


@st.composite
def sheets(draw: st.DrawFn, *, odd_header: bool = True) -> list[list[Any]]:
    others = draw(
        st.lists(
            st.sampled_from(["country", "arrival", "departure", "berth", "status", "", "Port "]), max_size=5
        )
    )
    key = draw(spaced(KEY)) if odd_header else KEY
    header: list[Any] = [*others]
    header.insert(draw(st.integers(0, len(header))), key)
    keys = st.one_of(
        st.sampled_from(["Lisbon", "Cadiz", "lisbon", " Genoa ", "", "  "]),
        st.text(max_size=12),
        huge_text(1_000, 3_000),
    )

    @st.composite
    def row(draw2: st.DrawFn) -> list[Any]:
        values = draw2(st.lists(cells(), max_size=len(header) + 2))  # ragged: short, long or empty
        if values or draw2(st.booleans()):
            index = header.index(key)
            values += [""] * (index + 1 - len(values))
            values[index] = draw2(keys)
        return values

    return [header, *draw(st.lists(row(), max_size=10))]


def stored_from(draw: st.DrawFn, values: list[list[Any]]) -> dict[str, StoredRow]:
    in_sheet = [str(r[i]).strip() for r in values[1:] for i in range(len(r))]
    names = st.one_of(st.sampled_from(in_sheet or ["Lisbon"]), st.sampled_from(["Lisbon", "Porto", "Vigo"]))
    return draw(
        st.dictionaries(
            names, st.builds(StoredRow, st.text("0123456789abcdef", max_size=4), st.booleans()), max_size=10
        )
    )


def key_cells(values: list[list[Any]], parsed: ParsedSheet) -> set[str]:
    """Every key the sheet holds, valid or quarantined: what must never be tombstoned."""
    index = parsed.header.index(KEY)  # the column parse_sheet keyed the rows by
    return {str(r[index]).strip() for r in values[1:] if index < len(r) and str(r[index]).strip()}


def parse_or_config_error(values: list[list[Any]], key: str = KEY) -> ParsedSheet | None:
    try:
        parsed = parse_sheet(values, key)
    except ConfigurationError as exc:
        if not str(exc):
            raise AssertionError("a config_error without a description") from exc
        event("config_error")
        return None
    event("parsed")
    return parsed


def test_an_empty_read_is_an_empty_sheet() -> None:
    assert parse_sheet([], KEY).rows == []


@fuzz(150)
@given(st.data())
def test_hostile_cells_give_a_plan_or_a_config_error_and_lose_no_row(data: st.DataObject) -> None:
    values = data.draw(sheets(odd_header=False), label="values")
    parsed = parse_or_config_error(values)
    if parsed is None:
        return
    # every non-blank line is a row or quarantined, numbered as in the sheet
    lines = [n for n, r in enumerate(values[1:], start=2) if any(str(c).strip() for c in r)]
    seen = sorted([r.number for r in parsed.rows] + [q.number for q in parsed.quarantined])
    assert seen == lines
    assert len({r.key for r in parsed.rows}) == len(parsed.rows)
    stored = stored_from(data.draw, values)
    plan = plan_mirror(parsed, stored)
    upserted = {r.key for r in plan.upserts}
    assert upserted <= {r.key for r in parsed.rows}
    assert plan.unchanged == len(parsed.rows) - len(plan.upserts)
    for row in parsed.rows:  # not written means stored unchanged
        old = stored.get(row.key)
        assert row.key in upserted or (old is not None and not old.deleted and old.hash == row.hash)
    live = {k for k, v in stored.items() if not v.deleted}
    assert set(plan.tombstones) <= live
    assert not set(plan.tombstones) & key_cells(values, parsed), "a key still in the sheet was tombstoned"
    if plan.suspicious:
        assert plan.tombstones == []
    event("tombstones" if plan.tombstones else "no tombstones")


@fuzz(50)
@given(sheets(odd_header=True))
@example([[" Port", "Country"], ["Lisbon", "PT"]])
def test_a_header_in_any_case_or_spacing_finds_the_key_column(values: list[list[Any]]) -> None:
    names = [n for n in (" ".join(str(h).split()).casefold() for h in values[0]) if n]
    if len(set(names)) < len(names):  # e.g. `port` and `Port `: a repeated column is a config_error
        with pytest.raises(ConfigurationError):
            parse_sheet(values, KEY)
        return
    parse_sheet(values, KEY)


@pytest.fixture
def sheet_table(moto_aws: None) -> SheetStore:
    boto3.client("dynamodb").create_table(**schema.SHEET.create_kwargs("jada-sheet"))
    return SheetStore("jada-sheet")


@fuzz(25)
@given(
    st.lists(
        st.one_of(huge_text(10_000, CELL_LIMIT), st.sampled_from(FORMULAS), st.text(max_size=30)),
        min_size=1,
        max_size=26,
    ),
)
@example(["漢" * CELL_LIMIT] * 6)  # a full row of full multi-byte cells: about 900 KB
def test_every_planned_row_can_be_written_to_the_mirror(sheet_table: SheetStore, row: list[str]) -> None:
    header = [KEY, *(f"col{i}" for i in range(1, len(row)))]
    values = [header, ["Lisbon", *row[1:]], ["Cadiz", "ES"]]
    parsed = parse_or_config_error(values)
    assert parsed is not None
    plan = plan_mirror(parsed, sheet_table.stored_rows())
    sheet_table.apply(plan, NOW)  # raises if DynamoDB refuses an item (400 KB at most)
    stored = {r["key"]: r for r in sheet_table.rows()}
    for planned in parsed.rows:
        assert stored[planned.key]["data"] == planned.data
    # a row too big to store is quarantined (reported, its stored copy kept), never silently dropped
    assert {q.key for q in parsed.quarantined} | set(stored) >= {"Lisbon", "Cadiz"}, "a row was lost"
    assert "Cadiz" in stored
    event("quarantined" if parsed.quarantined else "stored")
