"""Spend limit reached: session end pauses new sessions until the limit resets; the poll honours it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jada.lifecycle import TaskStatus

from tests.conftest import NOW, Cloud
from tests.functional.orchestration.conftest import Counted, settings
from tests.functional.orchestration.test_poll import add_tasks, executions, run_poll
from tests.functional.orchestration.test_session_end import finish, running_task

SPEND_ERROR = {"Error": "SpendLimitReached", "Cause": '{"errorMessage": "usage is paused"}'}


def test_spend_limit_pauses_new_sessions_until_the_next_month(cloud: Cloud, state_machine: str) -> None:
    # Given a session that failed because the organization's spend limit is reached
    task = running_task(cloud)
    finish(cloud, task, status="failed", error=SPEND_ERROR)
    assert cloud.tasks().get(task.task_id).status is TaskStatus.FAILED
    add_tasks(cloud, 3, now=NOW)
    # When the poll runs later the same month
    later = NOW + timedelta(days=2)
    result = run_poll(cloud, state_machine, later, settings())
    # Then it starts nothing, takes no quota, and says why
    assert (result.started, result.stopped_by) == ([], "paused")
    assert executions(state_machine) == []
    assert cloud.counters().sessions_used(later.date()) == 0
    # And from the first day of the next month it starts sessions again
    next_month = datetime(2026, 6, 1, 0, 1, tzinfo=UTC)
    assert len(run_poll(cloud, state_machine, next_month, settings()).started) == 3


def test_an_idle_poll_stays_one_request_while_paused(cloud: Cloud, state_machine: str) -> None:
    cloud.counters().pause_sessions("spend limit", NOW + timedelta(days=1), NOW)
    clients = Counted()
    result = run_poll(cloud, state_machine, NOW, settings(), clients)
    assert clients.calls == ["dynamodb.Query"]
    assert result.stopped_by is None


def test_other_failures_do_not_pause(cloud: Cloud, state_machine: str) -> None:
    task = running_task(cloud)
    finish(cloud, task, status="failed", error={"Error": "ModelAuthFailed", "Cause": "{}"})
    assert cloud.counters().sessions_paused(NOW) is None


def test_resume_lifts_the_pause(cloud: Cloud, state_machine: str) -> None:
    counters = cloud.counters()
    counters.pause_sessions("spend limit", NOW + timedelta(days=10), NOW)
    add_tasks(cloud, 1, now=NOW)
    assert run_poll(cloud, state_machine, NOW, settings()).stopped_by == "paused"
    assert counters.resume_sessions() is True
    assert counters.resume_sessions() is False
    assert len(run_poll(cloud, state_machine, NOW, settings()).started) == 1
