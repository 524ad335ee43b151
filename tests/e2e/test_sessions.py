"""Tasks through sessions: done, turn limit and resume, quota rollover, downstream and blocked tasks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from jada_tools.local.cloud import RunResult
from jada_tools.local.synth import base_context

from .conftest import by_title, sheet, task

pytestmark = pytest.mark.slow


def test_a_task_runs_to_done(run_scenario: Callable[..., RunResult]) -> None:
    result = run_scenario({
        "start": "2026-05-12T22:00:00Z", "end": "2026-05-12T22:05:00Z", "sheet_sync": sheet(),
        "tasks": [task("2026-05-12T22:00:00Z", "crew page")],
    })  # fmt: skip
    crew = by_title(result, "crew page")
    assert crew["status"] == "done"
    assert [(s["execution"], s["outcome"], s["turns"]) for s in crew["sessions"]] == [
        (f"{crew['id']}-s1", "completed", 1)
    ]
    assert crew["sessions"][0]["started_at"] == "2026-05-12T22:00:00Z"
    assert result.report["sessions_by_day"] == {"2026-05-12": 1}
    assert result.report["emails"] == []


def test_turn_limit_suspends_and_a_new_session_resumes_from_the_handoff_note(
    run_scenario: Callable[..., RunResult],
) -> None:
    result = run_scenario({
        "start": "2026-05-12T22:00:00Z", "end": "2026-05-12T22:10:00Z",
        "settings": {"turns_per_session": 8}, "sheet_sync": sheet(),
        "tasks": [task("2026-05-12T22:00:00Z", "voyage report", "Write the long voyage report.")],
    })  # fmt: skip
    report = by_title(result, "voyage report")
    # the resumed session is asked for a handoff note again at its turn 3 (8 - 5), then completes
    assert [(s["outcome"], s["turns"]) for s in report["sessions"]] == [("turn_limit", 8), ("completed", 4)]
    assert report["status"] == "done"
    assert report["handoff_note"].startswith("Handoff for voyage report")
    assert result.report["emails"] == []


def test_quota_runs_out_and_rolls_over_at_midnight(run_scenario: Callable[..., RunResult]) -> None:
    result = run_scenario({
        "start": "2026-05-12T23:50:00Z", "end": "2026-05-13T00:05:00Z",
        "settings": {"sessions_per_day": 2},
        "tasks": [task("2026-05-12T23:50:00Z", f"job {n}") for n in (1, 2, 3)],
    })  # fmt: skip
    assert result.report["sessions_by_day"] == {"2026-05-12": 2, "2026-05-13": 1}
    starts = sorted(t["sessions"][0]["started_at"] for t in result.report["tasks"])
    # equal ranks: which job waits is not fixed, but one does, until 00:00
    assert starts == ["2026-05-12T23:50:00Z", "2026-05-12T23:50:00Z", "2026-05-13T00:00:00Z"]
    assert {t["status"] for t in result.report["tasks"]} == {"done"}


def test_downstream_and_blocked_tasks_with_an_operator_answer(run_scenario: Callable[..., RunResult]) -> None:
    result = run_scenario({
        "start": "2026-05-12T22:00:00Z", "end": "2026-05-12T22:30:00Z",
        "tasks": [
            task("2026-05-12T22:00:00Z", "port fees", "Reconcile the port fees and queue a follow-up check."),
            task("2026-05-12T22:00:00Z", "contracts", "The contracts need the operator's approval."),
        ],
        "answers": [{"at": "2026-05-12T22:20:00Z", "title": "contracts", "answer": "Option B."}],
    })  # fmt: skip
    fees = by_title(result, "port fees")
    child = next(t for t in result.report["tasks"] if t["parent_id"] == fees["id"])
    assert (fees["status"], child["status"], child["title"]) == ("done", "done", "check: port fees")
    contracts = by_title(result, "contracts")
    assert [s["outcome"] for s in contracts["sessions"]] == ["blocked", "completed"]
    assert contracts["answers"][0]["answer"] == "Option B."
    assert contracts["sessions"][1]["started_at"] >= "2026-05-12T22:20:00Z"
    blocked_mail = [e for e in result.report["emails"] if "contracts" in e["subject"]]
    assert len(blocked_mail) == 1
    assert "jada tasks unblock" in blocked_mail[0]["body"]


def test_the_synthesized_turns_per_session_is_what_runs(run_scenario: Callable[..., RunResult]) -> None:
    # Given only the CDK context value changes (no scenario setting)
    scenario = {
        "start": "2026-05-12T22:00:00Z", "end": "2026-05-12T22:10:00Z",
        "tasks": [task("2026-05-12T22:00:00Z", "voyage report", "Write the long voyage report.")],
    }  # fmt: skip
    turns = []
    for value in (6, 9):
        result = run_scenario(scenario, context={**base_context(), "turnsPerSession": value})
        turns.append(by_title(result, "voyage report")["sessions"][0]["turns"])
    # Then the first session stops at that turn limit
    assert turns == [6, 9]


def test_an_exhausted_turn_budget_fails_the_task_and_emails_the_operator(
    run_scenario: Callable[..., RunResult],
) -> None:
    result = run_scenario({
        "start": "2026-05-12T22:00:00Z", "end": "2026-05-12T22:15:00Z", "sheet_sync": sheet(),
        "settings": {"turns_per_session": 6, "max_sessions_per_task": 1},
        "tasks": [task("2026-05-12T22:00:00Z", "voyage report", "Write the long voyage report.")],
    })  # fmt: skip
    report = by_title(result, "voyage report")
    assert (report["status"], report["failure_reason"]) == ("failed", "turn budget exhausted")
    # one email names the task, its reason and the commands; no alarm, so no "OK" while it is failed
    [email] = result.report["emails"]
    assert email["subject"] == "jada: task failed: voyage report"
    body = email["body"]
    assert f"Task {report['id']} failed." in body
    assert "Reason: turn budget exhausted" in body
    assert f"jada tasks show {report['id']}" in body
    assert f"jada tasks retry {report['id']}" in body
