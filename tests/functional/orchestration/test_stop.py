"""Stopping a running session (`jada tasks stop`): the session is recorded `stopped`, the task is
suspended (or cancelled), the slot is freed, the quota stays spent, no failure alarm's metric is
emitted, and the EventBridge event for the aborted execution changes nothing more."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from jada.clock import iso
from jada.errors import IllegalTransition
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.models import SessionRecord
from jada.orchestration import operator
from jada.orchestration.runtime import end_session_from_env
from jada.orchestration.session_end import SessionEndEvent, end_session
from jada.settings import Settings

from tests.conftest import NOW, Cloud
from tests.functional.orchestration.conftest import Mailbox
from tests.functional.orchestration.test_session_end import LATER, finish, running_task, status_change


def stop(cloud: Cloud, task_id: str, sfn: Any, machine: str, *, cancel: bool = False) -> operator.Stopped:
    return operator.stop(
        task_id, LATER, tasks=cloud.tasks(), counters=cloud.counters(), checkpoints=cloud.checkpoints(),
        sfn=sfn,
        state_machine_arn=machine, cancel_after=cancel,
    )  # fmt: skip


@pytest.fixture
def machine(state_machine: str) -> str:
    return state_machine


def started(cloud: Cloud, machine: str) -> Any:
    """A running task whose execution exists (the Pass state machine: it only records executions)."""
    task = running_task(cloud)
    execution = task.execution_name(1)
    boto3.client("stepfunctions").start_execution(
        stateMachineArn=machine, name=execution,
        input=json.dumps({"task_id": task.task_id, "session": 1, "execution": execution, "turns": 0}),
    )  # fmt: skip
    cloud.counters().take_session(NOW, 5)
    return task


def test_stop_records_the_session_stopped_and_suspends_the_task(
    cloud: Cloud, machine: str, mailbox: Mailbox
) -> None:
    # Given a running session that has done 4 turns
    task = started(cloud, machine)
    record = task.sessions["1"].model_copy(update={"turns": 4})
    cloud.tasks().update_session(task.task_id, record, now=NOW)
    calls: list[dict[str, Any]] = []
    sfn = boto3.client("stepfunctions")
    sfn.meta.events.register(
        "provide-client-params.stepfunctions.StopExecution", lambda params, **_: calls.append(dict(params))
    )
    # When the operator stops it
    result = stop(cloud, task.task_id, sfn, machine)
    # Then the execution was stopped with the operator's error name
    assert [c["error"] for c in calls] == ["StoppedByOperator"]
    assert calls[0]["executionArn"].endswith(f":execution:jada-session:{task.task_id}-s1")
    # And the session is recorded stopped, the task suspended and due now, the slot free
    stored = cloud.tasks().get(task.task_id)
    session = stored.sessions["1"]
    assert (result.outcome, result.execution) == ("stopped", f"{task.task_id}-s1")
    assert (session.outcome, session.reason, session.turns) == (
        SessionOutcome.STOPPED,
        "stopped by the operator",
        4,
    )
    assert session.ended_at == iso(LATER)
    assert session.stop_requested_at == iso(LATER)
    assert stored.status is TaskStatus.SUSPENDED
    assert stored.ready_at == iso(LATER)
    assert cloud.counters().slot_holders(LATER) == {}
    # And the day's quota stays spent (the session ran), and nobody is emailed
    assert cloud.counters().sessions_used(NOW.date()) == 1
    assert mailbox.messages() == []


def test_the_aborted_execution_event_afterwards_changes_nothing_and_emits_no_failure(
    cloud: Cloud, machine: str
) -> None:
    task = started(cloud, machine)
    stop(cloud, task.task_id, boto3.client("stepfunctions"), machine)
    before = cloud.tasks().get(task.task_id)
    aborted = status_change(task, "ABORTED", error="StoppedByOperator", cause="stopped by the operator")
    result = end_session_from_env(aborted, LATER + timedelta(seconds=5))
    assert result.result.recorded is False
    assert result.metrics == {}
    assert cloud.tasks().get(task.task_id) == before


@pytest.mark.parametrize("error", ["StoppedByOperator", None])
def test_the_aborted_event_arriving_first_records_the_stop(cloud: Cloud, error: str | None) -> None:
    # Given a session the operator marked to stop (an execution stopped without our error name,
    # as moto does, is recognised by the mark)
    task = running_task(cloud)
    cloud.tasks().request_stop(task.task_id, 1, now=NOW)
    extra = {"error": error, "cause": "stopped"} if error else {}
    # When EventBridge delivers the ABORTED status change before the CLI records the end
    result = end_session_from_env(status_change(task, "ABORTED", **extra), LATER)
    # Then it is a stop, not a failure: no SessionFailed or TaskFailed metric (their alarms stay OK)
    stored = cloud.tasks().get(task.task_id)
    assert stored.status is TaskStatus.SUSPENDED
    assert stored.sessions["1"].outcome is SessionOutcome.STOPPED
    assert result.metrics == {"SessionStopped": 1, "TaskSuspended": 1}
    assert cloud.counters().slot_holders(LATER) == {}


def test_an_execution_aborted_without_a_stop_request_is_still_a_failure(cloud: Cloud) -> None:
    task = running_task(cloud)
    result = end_session_from_env(status_change(task, "ABORTED"), LATER)
    assert cloud.tasks().get(task.task_id).status is TaskStatus.FAILED
    assert result.metrics == {"SessionFailed": 1, "TaskFailed": 1}


def test_a_batch_that_noticed_the_stop_ends_the_session_stopped(cloud: Cloud) -> None:
    task = running_task(cloud)
    result = finish(cloud, task, status="stopped", reason="stopped by the operator")
    assert result.outcome is SessionOutcome.STOPPED
    assert cloud.tasks().get(task.task_id).status is TaskStatus.SUSPENDED


def test_stopped_sessions_do_not_count_against_the_session_budget(cloud: Cloud) -> None:
    # Given sessions 1 (turn limit) and 2 (stopped by the operator), and a budget of 3 sessions
    store = cloud.tasks()
    task = running_task(cloud)
    finish(cloud, task, status="turn_limit")
    for number, status in ((2, "stopped"), (3, "turn_limit")):
        record = SessionRecord(number=number, execution=task.execution_name(number), started_at=iso(NOW))
        claimed = store.claim(store.get(task.task_id), session=record, now=NOW)
        end_session(
            SessionEndEvent(task_id=task.task_id, session=number, execution=record.execution, status=status),
            LATER, tasks=store, counters=cloud.counters(), sns=None, topic_arn="",
            settings=Settings(max_sessions_per_task=3), checkpoints=cloud.checkpoints(),
        )  # fmt: skip
        assert claimed.status is TaskStatus.RUNNING
    # Then after the third session's turn limit the task is suspended (2 of 3), not failed
    assert store.get(task.task_id).status is TaskStatus.SUSPENDED


def test_stop_with_cancel_ends_cancelled(cloud: Cloud, machine: str) -> None:
    task = started(cloud, machine)
    result = stop(cloud, task.task_id, boto3.client("stepfunctions"), machine, cancel=True)
    stored = cloud.tasks().get(task.task_id)
    assert stored.status is TaskStatus.CANCELLED
    assert result.task.status is TaskStatus.CANCELLED
    assert stored.sessions["1"].outcome is SessionOutcome.STOPPED
    assert cloud.counters().slot_holders(LATER) == {}


def test_stop_with_cancel_of_a_task_that_is_not_running_just_cancels_it(cloud: Cloud, machine: str) -> None:
    task = cloud.tasks().create(prompt="waiting", now=NOW)
    result = stop(cloud, task.task_id, boto3.client("stepfunctions"), machine, cancel=True)
    assert (result.execution, result.outcome, result.task.status) == ("", None, TaskStatus.CANCELLED)


def test_stop_of_a_task_that_is_not_running_is_refused(cloud: Cloud, machine: str) -> None:
    task = cloud.tasks().create(prompt="waiting", now=NOW)
    with pytest.raises(IllegalTransition, match="is pending, not running"):
        stop(cloud, task.task_id, boto3.client("stepfunctions"), machine)
    assert cloud.tasks().get(task.task_id) == task


def test_stop_after_the_session_ended_by_itself_reports_its_own_outcome(cloud: Cloud, machine: str) -> None:
    # Given the session's own end step recorded it while the stop was being made (the stop's mark
    # and StopExecution happened, then the normal end won the race)
    task = started(cloud, machine)
    sfn = boto3.client("stepfunctions")

    def end_first(**_: Any) -> None:
        finish(cloud, task, status="completed", turns=3)

    sfn.meta.events.register("after-call.stepfunctions.StopExecution", end_first)
    result = stop(cloud, task.task_id, sfn, machine)
    assert result.outcome == "completed"
    assert cloud.tasks().get(task.task_id).status is TaskStatus.DONE


def test_stop_when_the_execution_never_started_still_records_the_stop(cloud: Cloud, machine: str) -> None:
    task = running_task(cloud)  # claimed, but no execution exists
    result = stop(cloud, task.task_id, boto3.client("stepfunctions"), machine)
    assert result.outcome == "stopped"
    assert cloud.tasks().get(task.task_id).status is TaskStatus.SUSPENDED
