"""The local cloud's engine on a small hand-written template: schedules, Wait states on the
simulated clock, EMF metrics, alarm evaluation and the mailbox."""

from __future__ import annotations

import json

import pytest
from jada.clock import parse_time
from jada_tools.local.cloud import RunResult, run_template
from jada_tools.local.scenario import parse_scenario

from .template import template

WINDOW = {"start": "2026-05-12T22:00:00Z", "end": "2026-05-12T23:00:00Z"}


@pytest.fixture(scope="module")
def overlapping() -> RunResult:
    """Executions every 5 minutes, each waiting 10 minutes: several wait at the same time."""
    return run_template(parse_scenario(WINDOW), template("rate(5 minutes)", wait_seconds=600))


def test_wait_states_advance_the_simulated_clock_per_execution(overlapping: RunResult) -> None:
    # Given executions started every 5 minutes, each waiting 600 s before its Task
    runs = overlapping.report["executions"]
    assert len(runs) == 13  # 22:00 .. 23:00 inclusive
    done = [r for r in runs if r["status"] == "SUCCEEDED"]
    # Then each one ends exactly 10 simulated minutes after it started, though they overlap
    assert len(done) == 11  # the ones started at 22:55 and 23:00 are still waiting at the end
    for run in done:
        started, stopped = parse_time(run["started_at"]), parse_time(run["stopped_at"])
        assert (stopped - started).total_seconds() == 600
    assert {r["status"] for r in runs} == {"SUCCEEDED", "RUNNING"}


def test_emf_metric_drives_the_template_alarm_and_emails(overlapping: RunResult) -> None:
    emails = overlapping.report["emails"]
    # Work at 22:10, 22:15, ... 23:00: ALARM one minute later, OK the minute after (until 23:00)
    alarm_mails = [e for e in emails if e["subject"].startswith("ALARM:")]
    ok_mails = [e for e in emails if e["subject"].startswith("OK:")]
    assert [e["at"] for e in alarm_mails][:2] == ["2026-05-12T22:11:00Z", "2026-05-12T22:16:00Z"]
    assert len(alarm_mails) == len(ok_mails) == 10
    first = alarm_mails[0]
    assert first["to"] == "ops@example.com"
    assert first["subject"] == 'ALARM: "work-seen" in US East (N. Virginia)'
    assert "Runbook: work happened; nothing to do." in first["body"]
    assert "OK -> ALARM" in first["body"]
    assert "Threshold Crossed" in first["body"]


def test_first_ok_after_insufficient_data_sends_no_email(overlapping: RunResult) -> None:
    changes = overlapping.report["alarms"][0]["changes"]
    assert changes[0] == {"at": "2026-05-12T22:01:00Z", "from": "INSUFFICIENT_DATA", "to": "OK"}
    assert overlapping.report["emails"][0]["at"] == "2026-05-12T22:11:00Z"


def test_schedule_input_carries_the_scheduled_time(overlapping: RunResult) -> None:
    names = [e.text for e in overlapping.timeline if e.text.startswith("started ")]
    assert names[:3] == [
        "started run-20260512T220000Z",
        "started run-20260512T220500Z",
        "started run-20260512T221000Z",
    ]


def test_a_changed_wait_in_the_template_changes_the_run() -> None:
    # The definition that runs is the template's: a 20-minute Wait ends executions 20 minutes later
    window = {"start": "2026-05-12T22:00:00Z", "end": "2026-05-12T22:30:00Z"}
    result = run_template(parse_scenario(window), template("rate(30 minutes)", wait_seconds=1200))
    run = result.report["executions"][0]
    assert (run["started_at"], run["stopped_at"]) == ("2026-05-12T22:00:00Z", "2026-05-12T22:20:00Z")
    assert json.dumps(result.report["emails"]).count("ALARM:") == 1


def test_a_retry_interval_waits_on_the_simulated_clock() -> None:
    # Given a Task whose first call fails with an error the state machine retries after 30 s
    window = {"start": "2026-05-12T22:00:00Z", "end": "2026-05-12T22:20:00Z"}
    result = run_template(parse_scenario(window), template("rate(30 minutes)", flaky=True))
    run = result.report["executions"][0]
    # Then the execution succeeds 10 minutes (Wait) and 30 seconds (retry interval) after it started
    assert run["status"] == "SUCCEEDED"
    assert (run["started_at"], run["stopped_at"]) == ("2026-05-12T22:00:00Z", "2026-05-12T22:10:30Z")
