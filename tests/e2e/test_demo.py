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
    assert report["sessions_by_day"] == {"2026-05-12": 8, "2026-05-13": 6}


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


def test_a_site_is_edited_and_deployed_and_another_waits_for_approval(demo: tuple[str, dict]) -> None:
    output, report = demo
    tasks = {t["title"]: t for t in report["tasks"]}
    hero, charter = tasks["hero title"], tasks["charter headline"]
    assert [s["outcome"] for s in hero["sessions"]] == ["completed"]
    assert [s["outcome"] for s in charter["sessions"]] == ["blocked", "completed"]
    by_site = {d["site"]: d for d in report["deployments"]}
    assert len(report["deployments"]) == 2
    assert by_site["sailjada.com"]["task_id"] == hero["id"]
    assert by_site["charter.sailjada.com"]["task_id"] == charter["id"]
    answered = charter["answers"][-1]
    assert answered["answer"] == "approve"
    # the approval deploy published only after the answer, in the resumed session
    assert by_site["charter.sailjada.com"]["at"] >= answered["at"]
    for deploy in by_site.values():
        assert deploy["uploaded"] == ["index.html"]
        assert sorted(deploy["invalidation_paths"]) == ["/", "/index.html"]
    assert set(report["sites"]) == {"sailjada.com", "charter.sailjada.com"}
    assert set(report["sites"]["sailjada.com"]) == {"index.html", "styles.css", "crew.html"}
    assert any("task blocked: charter headline" in e["subject"] for e in report["emails"])
    assert "sailjada.com deployed by task" in output
    assert "Site deployments: 2" in output
