"""Session end and the operator settle a task's checkpoints by its status: parked tasks keep them
with no expiry, finished ones let them expire `retention_days` after they finished; a retried
invocation (or command) finishes what a crashed one started."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest
from jada.clock import epoch
from jada.errors import IllegalTransition
from jada.lifecycle import TaskStatus
from jada.models import Task
from jada.orchestration import operator

from tests.conftest import NOW, Cloud
from tests.functional.orchestration.test_session_end import LATER, finish, running_task
from tests.functional.stores.test_checkpoints import turn

RETENTION = timedelta(days=30)


def with_turns(cloud: Cloud, task: Task, session: int = 1, turns: int = 3) -> None:
    for number in range(1, turns + 1):
        cloud.checkpoints().append(turn(session, number, task_id=task.task_id), NOW)


def expiries(cloud: Cloud, task: Task) -> set[int | None]:
    items = boto3.resource("dynamodb").Table(cloud.checkpoints_table).scan()["Items"]
    return {
        int(i["expires_at"]) if "expires_at" in i else None for i in items if i["task_id"] == task.task_id
    }


@pytest.mark.parametrize(
    ("event", "status"),
    [
        ({"status": "blocked", "reason": "which provider?"}, TaskStatus.BLOCKED),
        ({"status": "turn_limit"}, TaskStatus.SUSPENDED),
    ],
)
def test_a_parked_task_keeps_its_turns_with_no_expiry(
    cloud: Cloud, event: dict[str, Any], status: TaskStatus
) -> None:
    task = running_task(cloud)
    with_turns(cloud, task)
    assert expiries(cloud, task) == {epoch(NOW + RETENTION)}  # as written
    assert finish(cloud, task, **event).status is status
    assert expiries(cloud, task) == {None}


@pytest.mark.parametrize(
    "event",
    [{"status": "completed"}, {"status": "failed", "error": {"Error": "ModelAuthFailed", "Cause": "401"}}],
)
def test_a_finished_task_expires_retention_days_after_its_session_ended(
    cloud: Cloud, event: dict[str, Any]
) -> None:
    task = running_task(cloud)
    with_turns(cloud, task)
    finish(cloud, task, **event)
    assert cloud.tasks().get(task.task_id).status in {TaskStatus.DONE, TaskStatus.FAILED}
    assert expiries(cloud, task) == {epoch(LATER + RETENTION)}


def test_a_retried_session_end_settles_the_history_a_crash_left_unsettled(cloud: Cloud) -> None:
    # Given a session end that recorded "blocked" and crashed before it kept the turns
    task = running_task(cloud)
    with_turns(cloud, task)
    finish(cloud, task, status="blocked", reason="which provider?")
    for n in (1, 2, 3):
        cloud.checkpoints().append(turn(2, n, task_id=task.task_id), NOW)  # turns left with an expiry
    assert None in expiries(cloud, task)
    assert len(expiries(cloud, task)) == 2
    # When Step Functions retries it
    result = finish(cloud, task, status="blocked", reason="which provider?")
    # Then the retry, a no-op for the task, still keeps every turn
    assert result.recorded is False
    assert expiries(cloud, task) == {None}


def test_retry_keeps_the_history_a_failure_released(cloud: Cloud) -> None:
    task = running_task(cloud)
    with_turns(cloud, task)
    finish(cloud, task, status="failed", error={"Error": "ModelAuthFailed", "Cause": "401"})
    retried = operator.retry(cloud.tasks(), task.task_id, LATER, checkpoints=cloud.checkpoints())
    assert retried.status is TaskStatus.PENDING
    assert expiries(cloud, task) == {None}


def test_retry_refuses_a_task_that_did_not_fail_and_leaves_its_history(cloud: Cloud) -> None:
    task = running_task(cloud)
    with_turns(cloud, task)
    finish(cloud, task, status="completed")
    with pytest.raises(IllegalTransition, match="is done; it cannot go to pending"):
        operator.retry(cloud.tasks(), task.task_id, LATER, checkpoints=cloud.checkpoints())
    assert expiries(cloud, task) == {epoch(LATER + RETENTION)}  # still released


def test_cancel_releases_the_history_and_a_repeat_finishes_a_cut_short_cancel(cloud: Cloud) -> None:
    task = running_task(cloud)
    with_turns(cloud, task)
    finish(cloud, task, status="blocked", reason="which provider?")
    # Given a cancel that wrote the status and stopped before it released the turns
    cloud.tasks().transition(task.task_id, TaskStatus.CANCELLED, now=LATER)
    assert expiries(cloud, task) == {None}
    # When the operator runs it again: still an error, but the release is done
    with pytest.raises(IllegalTransition):
        operator.cancel(cloud.tasks(), task.task_id, LATER, checkpoints=cloud.checkpoints())
    assert expiries(cloud, task) == {epoch(LATER + RETENTION)}


def test_cancelling_a_parked_task_releases_its_history(cloud: Cloud) -> None:
    task = running_task(cloud)
    with_turns(cloud, task)
    finish(cloud, task, status="turn_limit")
    cancelled = operator.cancel(cloud.tasks(), task.task_id, LATER, checkpoints=cloud.checkpoints())
    assert cancelled.status is TaskStatus.CANCELLED
    assert expiries(cloud, task) == {epoch(LATER + RETENTION)}
