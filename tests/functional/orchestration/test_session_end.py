"""Session end against moto: task transitions, the slot, metrics, the one blocked-task email."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from jada.clock import iso
from jada.errors import ModelAuthFailed
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.models import SessionRecord, Task
from jada.orchestration import operator
from jada.orchestration.session_end import SessionEndEvent, SessionEndResult, end_session
from jada.settings import Settings

from tests.conftest import NOW, Cloud
from tests.functional.orchestration.conftest import Mailbox

LATER = NOW + timedelta(minutes=20)


def running_task(cloud: Cloud, session: int = 1, title: str = "crew page") -> Task:
    """A task claimed for `session`, holding its concurrency slot (what the poll leaves)."""
    store = cloud.tasks()
    task = store.create(prompt="build the crew page", title=title, now=NOW)
    for n in range(1, session + 1):
        record = SessionRecord(number=n, execution=task.execution_name(n), started_at=iso(NOW))
        task = store.claim(task, session=record, now=NOW)
        if n < session:
            task = store.transition(task.task_id, TaskStatus.SUSPENDED, now=NOW)
    cloud.counters().take_slot(task.execution_name(session), NOW, 2, timedelta(hours=3))
    return task


def finish(cloud: Cloud, task: Task, mailbox: Mailbox | None = None, **event: Any) -> SessionEndResult:
    n = task.session_count
    payload = {
        "task_id": task.task_id,
        "session": n,
        "execution": task.execution_name(n),
        "turns": 30,
        **event,
    }
    return end_session(
        SessionEndEvent.model_validate(payload), LATER, tasks=cloud.tasks(), counters=cloud.counters(),
        sns=__import__("boto3").client("sns"), topic_arn=mailbox.topic_arn if mailbox else "",
        settings=Settings(max_sessions_per_task=3), checkpoints=cloud.checkpoints(),
    )  # fmt: skip


def test_completed_session_marks_the_task_done(cloud: Cloud) -> None:
    task = running_task(cloud)
    result = finish(cloud, task, status="completed", turns=7)
    stored = cloud.tasks().get(task.task_id)
    assert stored.status is TaskStatus.DONE
    record = stored.sessions["1"]
    assert (record.ended_at, record.turns, record.outcome) == (iso(LATER), 7, SessionOutcome.COMPLETED)
    assert cloud.counters().slot_holders(LATER) == {}
    assert result.metrics == {"SessionCompleted": 1, "TaskDone": 1}


def test_turn_limit_suspends_and_is_due_at_once(cloud: Cloud) -> None:
    task = running_task(cloud, session=1)
    finish(cloud, task, status="turn_limit")
    stored = cloud.tasks().get(task.task_id)
    assert stored.status is TaskStatus.SUSPENDED
    assert stored.ready_at == iso(LATER)
    assert [t.task_id for t in cloud.tasks().runnable(LATER)] == [task.task_id]


def test_turn_limit_on_the_last_session_fails_with_turn_budget_exhausted(cloud: Cloud) -> None:
    task = running_task(cloud, session=3)
    result = finish(cloud, task, status="turn_limit")
    stored = cloud.tasks().get(task.task_id)
    assert stored.status is TaskStatus.FAILED
    assert stored.failure_reason == "turn budget exhausted"
    assert stored.sessions["3"].outcome is SessionOutcome.TURN_LIMIT
    assert result.metrics == {"SessionTurnLimit": 1, "TaskFailed": 1}
    assert cloud.tasks().runnable(LATER) == []


def test_catch_path_records_error_and_cause(cloud: Cloud) -> None:
    task = running_task(cloud)
    cause = json.dumps({"errorType": "ModelAuthFailed", "errorMessage": "the API key was rejected (401)"})
    result = finish(
        cloud, task, status="failed", turns=2, error={"Error": ModelAuthFailed.__name__, "Cause": cause}
    )
    stored = cloud.tasks().get(task.task_id)
    assert stored.status is TaskStatus.FAILED
    assert stored.failure_reason == "ModelAuthFailed: the API key was rejected (401)"
    assert stored.sessions["1"].outcome is SessionOutcome.FAILED
    assert result.metrics == {"SessionFailed": 1, "TaskFailed": 1}
    assert cloud.counters().slot_holders(LATER) == {}


def test_blocked_task_sends_exactly_one_email_even_when_retried(cloud: Cloud, mailbox: Mailbox) -> None:
    # Given a running task with a handoff note
    task = running_task(cloud, title="crew page")
    cloud.tasks().set_handoff_note(task.task_id, "pages drafted; e-signature pending", now=NOW)
    # When its session ends blocked, and Step Functions retries the end step
    first = finish(cloud, task, mailbox, status="blocked", reason="need the e-signature provider login")
    second = finish(cloud, task, mailbox, status="blocked", reason="need the e-signature provider login")
    # Then the task is blocked with the reason, and one email names the unblock command
    stored = cloud.tasks().get(task.task_id)
    assert stored.status is TaskStatus.BLOCKED
    assert stored.blocked_reason == "need the e-signature provider login"
    assert (first.notified, second.notified, second.recorded) == (True, False, False)
    [mail] = mailbox.messages()
    assert mail["Subject"] == "jada: task blocked: crew page"
    body = mail["Message"]
    assert "need the e-signature provider login" in body
    assert "pages drafted; e-signature pending" in body
    assert f'jada tasks unblock {task.task_id} --answer "..."' in body
    assert first.metrics == {"SessionBlocked": 1, "TaskBlocked": 1}


def test_second_invocation_changes_nothing(cloud: Cloud) -> None:
    task = running_task(cloud)
    finish(cloud, task, status="completed", turns=4)
    before = cloud.tasks().get(task.task_id)
    again = finish(cloud, task, status="failed", error={"Error": "States.Timeout", "Cause": "late"})
    assert again.recorded is False
    assert again.metrics == {}
    assert cloud.tasks().get(task.task_id) == before


def test_unknown_batch_status_fails_the_task_with_a_reason(cloud: Cloud) -> None:
    task = running_task(cloud)
    finish(cloud, task, status="continue")
    stored = cloud.tasks().get(task.task_id)
    assert stored.status is TaskStatus.FAILED
    assert stored.failure_reason == "unexpected batch status 'continue'"


@pytest.mark.parametrize("status", ["completed", "blocked"])
def test_task_no_longer_running_keeps_its_status(cloud: Cloud, status: str) -> None:
    # Given a task an operator moved on (here: retried into pending) while the session ended
    task = running_task(cloud)
    cloud.tasks().transition(task.task_id, TaskStatus.FAILED, now=NOW)
    cloud.tasks().transition(task.task_id, TaskStatus.PENDING, now=NOW)
    result = finish(cloud, task, status=status)
    stored = cloud.tasks().get(task.task_id)
    assert stored.status is TaskStatus.PENDING
    assert result.notified is False
    assert stored.sessions["1"].ended_at == iso(LATER)
    assert cloud.counters().slot_holders(LATER) == {}


def status_change(task: Task, status: str, **extra: Any) -> dict[str, Any]:
    """The EventBridge event Step Functions sends when an execution ends without its end step."""
    execution = task.execution_name(task.session_count)
    started = {"task_id": task.task_id, "session": task.session_count, "execution": execution, "turns": 0}
    return {
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {"name": execution, "status": status, "input": json.dumps(started), **extra},
    }


def test_timed_out_execution_is_closed_by_the_status_change_event(cloud: Cloud) -> None:
    from jada.orchestration.runtime import end_session_from_env

    # Given a running session whose execution hit the state machine's timeout
    task = running_task(cloud)
    # When EventBridge delivers the status change to the session-end function
    result = end_session_from_env(status_change(task, "TIMED_OUT"), LATER)
    # Then the task is failed with the reason, the session closed and the slot free
    stored = cloud.tasks().get(task.task_id)
    assert stored.status is TaskStatus.FAILED
    assert (
        stored.failure_reason
        == f"States.Timeout: the execution {task.task_id}-s1 hit the state machine's timeout"
    )
    assert stored.sessions["1"].outcome is SessionOutcome.FAILED
    assert cloud.counters().slot_holders(LATER) == {}
    assert result.metrics == {"SessionFailed": 1, "TaskFailed": 1}


def test_status_change_after_the_catch_path_changes_nothing(cloud: Cloud) -> None:
    from jada.orchestration.runtime import end_session_from_env

    task = running_task(cloud)
    finish(cloud, task, status="failed", error={"Error": "ModelAuthFailed", "Cause": "401"})
    before = cloud.tasks().get(task.task_id)
    result = end_session_from_env(status_change(task, "FAILED", error="ModelAuthFailed", cause="401"), LATER)
    assert result.result.recorded is False
    assert cloud.tasks().get(task.task_id) == before


def test_a_retried_task_gets_a_fresh_session_budget(cloud: Cloud) -> None:
    # Given a task that failed with 'turn budget exhausted' after 3 sessions, then was retried
    task = running_task(cloud, session=3)
    finish(cloud, task, status="turn_limit")
    assert cloud.tasks().get(task.task_id).failure_reason == "turn budget exhausted"
    retried = operator.retry(cloud.tasks(), task.task_id, LATER, checkpoints=cloud.checkpoints())
    # When its fourth session hits the turn limit
    record = SessionRecord(number=4, execution=retried.execution_name(4), started_at=iso(LATER))
    fourth = cloud.tasks().claim(retried, session=record, now=LATER)
    finish(cloud, fourth, status="turn_limit")
    # Then it is suspended (1 of 3 in the new budget), not failed again
    assert cloud.tasks().get(task.task_id).status is TaskStatus.SUSPENDED


def test_a_failed_task_sends_one_email_naming_it_even_when_retried(cloud: Cloud, mailbox: Mailbox) -> None:
    # Given a running task whose batch failed with an error that is not retried
    task = running_task(cloud, title="crew page")
    cause = json.dumps({"errorType": "CheckpointCorrupt", "errorMessage": "turn 3 fails its check"})
    error = {"Error": "CheckpointCorrupt", "Cause": cause}
    # When its session ends, and Step Functions runs the end step again
    first = finish(cloud, task, mailbox, status="failed", error=error)
    second = finish(cloud, task, mailbox, status="failed", error=error)
    # Then one email names the task, its reason and the commands
    assert (first.notified, second.notified, second.recorded) == (True, False, False)
    [mail] = mailbox.messages()
    assert mail["Subject"] == "jada: task failed: crew page"
    body = mail["Message"]
    assert f"Task {task.task_id} failed." in body
    assert "Reason: CheckpointCorrupt: turn 3 fails its check" in body
    assert f"jada tasks show {task.task_id}" in body
    assert f"jada tasks retry {task.task_id}" in body
    assert mail["MessageAttributes"]["kind"]["Value"] == "task_failed"
    assert mail["MessageAttributes"]["task_id"]["Value"] == task.task_id


def test_an_exhausted_turn_budget_emails_with_the_way_on(cloud: Cloud, mailbox: Mailbox) -> None:
    task = running_task(cloud, session=3, title="voyage report")
    finish(cloud, task, mailbox, status="turn_limit")
    [mail] = mailbox.messages()
    assert mail["Subject"] == "jada: task failed: voyage report"
    assert "Reason: turn budget exhausted" in mail["Message"]
    assert "It used its 3 sessions without finishing. A retry grants 3 more" in mail["Message"]


def test_other_outcomes_send_no_email(cloud: Cloud, mailbox: Mailbox) -> None:
    finish(cloud, running_task(cloud, title="a"), mailbox, status="completed")
    finish(cloud, running_task(cloud, title="b"), mailbox, status="turn_limit")
    assert mailbox.messages() == []
