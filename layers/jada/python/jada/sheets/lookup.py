"""What `read_port_sheet` tells the agent: matching mirrored rows, cut to a bounded size, and how
fresh the mirror is. Pure: rows and sync runs come in, text goes out.

Freshness: `fresh` while the last successful sync is at most STALE_PERIODS sync periods old;
`stale` after that (or when none of the RECENT_RUNS newest runs succeeded but older ones may have);
`never_synced` when no run ever succeeded. Cells are data: a formula such as `=IMPORTXML(...)`
comes back as its text; each cell is cut to MAX_CELL_CHARS, the whole result to MAX_RESULT_CHARS.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jada.clock import iso, parse_time
from jada.settings import RATE

DEFAULT_LIMIT, MAX_LIMIT = 50, 200
MAX_QUERY_CHARS = 200
MAX_CELL_CHARS = 500
MAX_COLUMN_CHARS = 100
MAX_RESULT_CHARS = 20_000
#: a mirror older than this many sync periods is stale
STALE_PERIODS = 2
#: the newest sync runs read to find the last successful one (one Query)
RECENT_RUNS = 100
OK = "ok"
FRESH, STALE, NEVER_SYNCED = "fresh", "stale", "never_synced"


@dataclass(frozen=True)
class Freshness:
    status: str
    last_successful_sync: str | None
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "last_successful_sync": self.last_successful_sync, "note": self.note}


def sync_period(rate: str) -> timedelta:
    """'30 minutes' -> 30 minutes (a schedule rate as settings declare it)."""
    match = RATE.fullmatch(rate)
    if not match:
        raise ValueError(f"bad rate {rate!r}")
    amount, unit = int(match.group(1)), match.group(2).rstrip("s")
    return timedelta(**{f"{unit}s": amount})


def freshness(runs: Sequence[Mapping[str, Any]], now: datetime, period: timedelta) -> Freshness:
    """How fresh the mirror is, from the newest sync runs (newest first)."""
    every = _span(period)
    last_ok = next((run for run in runs if run.get("outcome") == OK and run.get("at")), None)
    latest = runs[0] if runs else None
    attempt = _attempt(latest)
    if last_ok is None:
        if not runs:
            return Freshness(NEVER_SYNCED, None, "The sheet has never been synced: rows may be missing.")
        if len(runs) < RECENT_RUNS:
            return Freshness(
                NEVER_SYNCED, None, f"No sheet sync has ever succeeded{attempt}. Rows may be missing."
            )
        oldest = runs[-1].get("at")
        return Freshness(
            STALE, None, f"No successful sheet sync in the last {len(runs)} runs (since {oldest}){attempt}. "
            "Rows may be out of date.",
        )  # fmt: skip
    at = str(last_ok["at"])
    age = now - parse_time(at)
    if age <= STALE_PERIODS * period:
        return Freshness(FRESH, at, f"Synced {_span(age)} ago (the sheet syncs every {every}).")
    failing = attempt if latest is not last_ok else ""
    return Freshness(
        STALE, at, f"Stale: the last successful sync was {_span(age)} ago and the sheet syncs every "
        f"{every}{failing}. Rows may be out of date.",
    )  # fmt: skip


def _attempt(run: Mapping[str, Any] | None) -> str:
    if run is None or run.get("outcome") == OK:
        return ""
    why = run.get("error_code") or run.get("reason")
    return f" (latest run at {run.get('at')}: {run.get('outcome')}{f', {why}' if why else ''})"


def _span(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"


def matching(rows: Iterable[Mapping[str, Any]], query: str | None) -> list[Mapping[str, Any]]:
    """Rows (`{"key", "row", "data"}`) in sheet order whose key or any cell contains `query`,
    case-insensitively; every row without a query."""
    ordered = sorted(rows, key=lambda r: (r.get("row") is None, r.get("row") or 0, str(r.get("key"))))
    if not query:
        return ordered
    needle = query.casefold()
    return [r for r in ordered if any(needle in str(v).casefold() for v in _values(r))]


def _values(row: Mapping[str, Any]) -> list[Any]:
    data = row.get("data") or {}
    return [row.get("key", ""), *(data.values() if isinstance(data, Mapping) else [data])]


def cut(value: Any, limit: int = MAX_CELL_CHARS) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [cut: {len(text)} characters]"


def render(
    rows: list[Mapping[str, Any]], fresh: Freshness, *, query: str | None, limit: int, now: datetime
) -> str:
    """The tool's result: JSON with the sync status and the first `limit` matching rows, at most
    MAX_RESULT_CHARS characters (rows that do not fit are counted, not shown)."""
    head: dict[str, Any] = {"sync": fresh.to_dict(), "read_at": iso(now), "query": query or None}
    shown: list[dict[str, Any]] = []
    budget = MAX_RESULT_CHARS - len(_dump({**head, "matched": len(rows), "returned": 0, "rows": [],
                                           "more": "x" * 200}))  # fmt: skip
    for row in rows[:limit]:
        entry = {
            "row": row.get("row"),
            "cells": {cut(k, MAX_COLUMN_CHARS): cut(v) for k, v in dict(row.get("data") or {}).items()},
        }
        size = len(_dump(entry)) + 1
        if size > budget:
            break
        shown.append(entry)
        budget -= size
    result = {**head, "matched": len(rows), "returned": len(shown), "rows": shown}
    hidden = len(rows) - len(shown)
    if hidden:
        if len(shown) == limit:
            why = f"limit {limit}; raise it (at most {MAX_LIMIT}) or narrow the query"
        else:
            why = "the result size limit; narrow the query"
        result["more"] = f"{hidden} more matching rows not shown ({why})."
    return _dump(result)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
