"""Operator actions: retry, cancel, unblock. Bad requests raise and change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jada.errors import IllegalTransition, InvalidTaskInput, TaskNotFound
from jada.lifecycle import TaskStatus
from jada.orchestration import operator

from tests.conftest import NOW, Cloud
from tests.functional.orchestration.test_session_end import finish, running_task

LATER = NOW + timedelta(hours=1)


def test_unblock_moves_blocked_to_pending_with_the_answer(cloud: Cloud) -> None:
    task = running_task(cloud)
    finish(cloud, task, status="blocked", reason="which provider?")
    updated = operator.unblock(cloud.tasks(), task.task_id, "  use DocuSign  ", LATER)
    assert updated.status is TaskStatus.PENDING
    assert updated.pending_answer == "use DocuSign"
    assert [(a.at, a.answer) for a in updated.answers] == [("2026-05-12T23:00:00Z", "use DocuSign")]
    assert [t.task_id for t in cloud.tasks().runnable(LATER)] == [task.task_id]


@pytest.mark.parametrize("answer", ["", "   \n"])
def test_unblock_with_an_empty_answer_changes_nothing(cloud: Cloud, answer: str) -> None:
    task = running_task(cloud)
    finish(cloud, task, status="blocked", reason="which provider?")
    before = cloud.tasks().get(task.task_id)
    with pytest.raises(InvalidTaskInput, match="answer is empty"):
        operator.unblock(cloud.tasks(), task.task_id, answer, LATER)
    assert cloud.tasks().get(task.task_id) == before


def test_unblock_a_task_that_is_not_blocked_changes_nothing(cloud: Cloud) -> None:
    task = cloud.tasks().create(prompt="p", now=NOW)
    with pytest.raises(IllegalTransition, match="not blocked"):
        operator.unblock(cloud.tasks(), task.task_id, "an answer", LATER)
    assert cloud.tasks().get(task.task_id) == task


def test_unblock_twice_stores_one_answer(cloud: Cloud) -> None:
    task = running_task(cloud)
    finish(cloud, task, status="blocked", reason="?")
    operator.unblock(cloud.tasks(), task.task_id, "first", LATER)
    with pytest.raises(IllegalTransition):
        operator.unblock(cloud.tasks(), task.task_id, "second", LATER)
    assert [a.answer for a in cloud.tasks().get(task.task_id).answers] == ["first"]


def test_retry_a_failed_task(cloud: Cloud) -> None:
    task = running_task(cloud)
    finish(cloud, task, status="failed", reason="boom")
    retried = operator.retry(cloud.tasks(), task.task_id, LATER, checkpoints=cloud.checkpoints())
    assert retried.status is TaskStatus.PENDING
    assert retried.failure_reason is None
    assert retried.ready_at == "2026-05-12T23:00:00Z"


def test_retry_and_cancel_refuse_illegal_transitions(cloud: Cloud) -> None:
    task = cloud.tasks().create(prompt="p", now=NOW)
    with pytest.raises(IllegalTransition):
        operator.retry(cloud.tasks(), task.task_id, LATER, checkpoints=cloud.checkpoints())
    assert (
        operator.cancel(cloud.tasks(), task.task_id, LATER, checkpoints=cloud.checkpoints()).status
        is TaskStatus.CANCELLED
    )
    with pytest.raises(IllegalTransition):
        operator.cancel(cloud.tasks(), task.task_id, LATER, checkpoints=cloud.checkpoints())
    with pytest.raises(TaskNotFound):
        operator.cancel(cloud.tasks(), "nope", LATER, checkpoints=cloud.checkpoints())


def test_add_validates_the_prompt(cloud: Cloud) -> None:
    with pytest.raises(InvalidTaskInput):
        operator.add(cloud.tasks(), "   ", NOW)
    task = operator.add(cloud.tasks(), "do it", NOW, title="t", priority=3)
    assert (task.title, task.priority, task.status) == ("t", 3, TaskStatus.PENDING)
