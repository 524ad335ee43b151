"""`jada demo`: the bundled scenario shows every feature, offline, and exits 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jada_tools.cli.main import app
from typer.testing import CliRunner

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    report = tmp_path_factory.mktemp("demo") / "report.json"
    result = CliRunner().invoke(app, ["demo", "--report", str(report)])
    assert result.exit_code == 0, result.output
    return result.output, json.loads(Path(report).read_text())


def test_the_quota_runs_out_and_rolls_over(demo: tuple[str, dict]) -> None:
    _, report = demo
    assert len([t for t in report["tasks"] if t["parent_id"] is None]) >= 8
    assert report["sessions_by_day"] == {"2026-05-12": 5, "2026-05-13": 5}


def test_turn_limit_resume_downstream_and_blocked_tasks(demo: tuple[str, dict]) -> None:
    _, report = demo
    outcomes = {t["title"]: [s["outcome"] for s in t["sessions"]] for t in report["tasks"]}
    assert outcomes["voyage report"] == ["turn_limit", "completed"]
    assert outcomes["crew contracts"] == ["blocked", "completed"]
    fees = next(t for t in report["tasks"] if t["title"] == "port fees")
    assert any(t["parent_id"] == fees["id"] and t["status"] == "done" for t in report["tasks"])
    assert next(t for t in report["tasks"] if t["title"] == "voyage report")["handoff_note"]


def test_healthy_syncs_then_a_revoked_token_and_its_alarm_email(demo: tuple[str, dict]) -> None:
    output, report = demo
    outcomes = [s["outcome"] for s in report["syncs"]]
    assert outcomes[:8] == ["ok"] * 8
    assert outcomes[-1] == "token_error"
    assert report["sheet_rows"] == 12
    subjects = [e["subject"] for e in report["emails"]]
    assert 'ALARM: "Jada-SheetSyncTokenError" in US East (N. Virginia)' in subjects
    assert any("blocked" in s for s in subjects)
    assert "Timeline" in output
    assert "Model: offline scripted model (no network, no API key)" in output
