"""Operator actions on tasks, shared by the CLI and the local cloud. Each either changes the task
as asked or raises a JadaError and changes nothing."""

from __future__ import annotations

from datetime import datetime

from jada.clock import iso
from jada.errors import IllegalTransition, InvalidTaskInput
from jada.lifecycle import TaskStatus
from jada.models import Answer, Task
from jada.stores.checkpoints import CheckpointStore
from jada.stores.tasks import TaskStore

MAX_ANSWER_CHARS = 20_000


def add(tasks: TaskStore, prompt: str, now: datetime, *, title: str = "", priority: int = 0) -> Task:
    return tasks.create(prompt=prompt, now=now, title=title, priority=priority)


def retry(tasks: TaskStore, task_id: str, now: datetime, *, checkpoints: CheckpointStore) -> Task:
    """failed -> pending. Sessions from here get a fresh budget (see session_end.sessions_in_budget).
    The history a failure set to expire is kept again first, so a crash in between leaves a failed
    task that a second retry finishes."""
    task = tasks.get(task_id)
    if task.status is not TaskStatus.FAILED:
        raise IllegalTransition(
            f"task {task_id} is {task.status}; it cannot go to pending (expected failed)",
            task_id=task_id,
            current=task.status.value,
            target=TaskStatus.PENDING.value,
        )
    checkpoints.keep(task_id, now)
    return tasks.transition(
        task_id, TaskStatus.PENDING, now=now, expected=TaskStatus.FAILED, set_fields={"failure_reason": None}
    )


def cancel(tasks: TaskStore, task_id: str, now: datetime, *, checkpoints: CheckpointStore) -> Task:
    """pending, suspended or blocked -> cancelled (a running session must end first); the task's
    history then expires after the retention. Cancelling a cancelled task still fails, but first
    finishes that release (a cancel cut short after its status write)."""
    try:
        task = tasks.transition(task_id, TaskStatus.CANCELLED, now=now)
    except IllegalTransition:
        if tasks.get(task_id).status is TaskStatus.CANCELLED:
            checkpoints.release(task_id, now)
        raise
    checkpoints.release(task_id, now)
    return task


def validate_answer(answer: str) -> str:
    text = answer.strip()
    if not text:
        raise InvalidTaskInput("the answer is empty")
    if len(text) > MAX_ANSWER_CHARS:
        raise InvalidTaskInput(f"the answer has {len(text)} characters; the limit is {MAX_ANSWER_CHARS}")
    return text


def unblock(tasks: TaskStore, task_id: str, answer: str, now: datetime) -> Task:
    """blocked -> pending with the operator's answer, delivered to the model when the task resumes."""
    text = validate_answer(answer)
    task = tasks.get(task_id)
    if task.status is not TaskStatus.BLOCKED:
        raise IllegalTransition(
            f"task {task_id} is {task.status}, not blocked; there is nothing to answer",
            task_id=task_id,
            current=task.status.value,
        )
    # one conditional write: the answer lands together with the status change, or not at all
    answers = [a.model_dump() for a in task.answers] + [Answer(at=iso(now), answer=text).model_dump()]
    return tasks.transition(
        task_id,
        TaskStatus.PENDING,
        now=now,
        expected=TaskStatus.BLOCKED,
        set_fields={"answers": answers, "pending_answer": text},
    )
