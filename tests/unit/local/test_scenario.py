from __future__ import annotations

import json
from pathlib import Path

import pytest
from jada_tools.local.scenario import ScenarioError, load_scenario, parse_scenario

BASE = {"start": "2026-05-12T22:00:00Z", "end": "2026-05-13T03:00:00Z"}
TOKEN = {"client_id": "a", "client_secret": "b", "refresh_token": "c"}


def test_a_minimal_scenario_is_valid() -> None:
    s = parse_scenario(BASE)
    assert s.start.isoformat() == "2026-05-12T22:00:00+00:00"
    assert s.tasks == []
    assert s.sheet_sync is None
    assert s.alert_email == "ops@example.com"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end": "tomorrow"}, "end"),
        ({"end": "2026-05-12T21:00:00Z"}, "end must be after start"),
        ({"settings": {"sessions_per_day": 0}}, "settings.sessions_per_day"),
        ({"tasks": [{"at": "2026-05-12T22:00:00Z", "title": "", "prompt": "p"}]}, "tasks.0.title"),
        ({"tasks": [{"at": "2026-05-14T22:00:00Z", "title": "t", "prompt": "p"}]}, "tasks.0.at"),
        ({"answers": [{"at": "2026-05-12T23:00:00Z", "title": "nope", "answer": "a"}]}, "answers.0.title"),
        (
            {"sheet_sync": {"spreadsheet_id": "x", "token": {"client_id": "a"}}},
            "sheet_sync.token.client_secret",
        ),
        ({"alert_email": "nobody"}, "alert_email"),
        ({"sheet_sync": {"spreadsheet_id": "x", "token": TOKEN, "rows": []}}, "sheet_sync.rows"),
        (
            {"sheet_sync": {"spreadsheet_id": "x", "token": TOKEN, "rows": [["port", 7]]}},
            "sheet_sync.rows.0.1",
        ),
    ],
)
def test_errors_name_the_bad_field(change: dict, field: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario({**BASE, **change})
    assert field in str(err.value)


def test_unreadable_and_non_json_files_are_scenario_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read the scenario file"):
        load_scenario(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ScenarioError, match="not valid JSON: line 1"):
        load_scenario(bad)


def test_extra_fields_are_allowed(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({**BASE, "description": "x", "settings": {"future_knob": 1}}))
    assert load_scenario(path).end.hour == 3


def test_the_demo_scenario_is_valid() -> None:
    root = Path(__file__).resolve().parents[3]
    demo = load_scenario(root / "examples/demo.json")
    assert len(demo.tasks) >= 8
    assert demo.start.date() != demo.end.date()  # crosses 00:00 UTC
    assert demo.sheet_sync is not None
    assert demo.sheet_sync.revoke_at is not None
    assert demo.answers
