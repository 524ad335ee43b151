"""Operator actions on tasks, shared by the CLI and the local cloud. Each either changes the task
as asked or raises a JadaError and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from jada.clock import iso
from jada.errors import IllegalTransition, InvalidTaskInput, StoppedByOperator
from jada.lifecycle import STOPPED_REASON, TaskStatus
from jada.models import Answer, Task
from jada.orchestration.session_end import (
    SessionEndEvent,
    SessionEndResult,
    StepError,
    end_session,
)
from jada.settings import Settings
from jada.stores.checkpoints import CheckpointStore
from jada.stores.counters import CounterStore
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


def edit(
    tasks: TaskStore,
    task_id: str,
    now: datetime,
    *,
    title: str | None = None,
    prompt: str | None = None,
    priority: int | None = None,
) -> Task:
    """New title, prompt or priority for a task no session runs (pending, suspended, blocked, failed)."""
    return tasks.edit(task_id, now=now, title=title, prompt=prompt, priority=priority)


def cancel(tasks: TaskStore, task_id: str, now: datetime, *, checkpoints: CheckpointStore) -> Task:
    """pending, suspended or blocked -> cancelled (a running session must be stopped first); the
    task's history then expires after the retention. Cancelling a cancelled task still fails, but
    first finishes that release (a cancel cut short after its status write)."""
    try:
        task = tasks.transition(task_id, TaskStatus.CANCELLED, now=now)
    except IllegalTransition as exc:
        current = exc.details.get("current")
        if current == TaskStatus.CANCELLED.value:
            checkpoints.release(task_id, now)
        if current != TaskStatus.RUNNING.value:
            raise
        raise IllegalTransition(
            f"task {task_id} is running; stop its session first (jada tasks stop {task_id} --cancel)",
            **exc.details,
        ) from None
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


#: `stop --cancel` keeps the suspended task from being resumed between its two writes
CANCEL_HOLD = timedelta(hours=1)
STOP_CAUSE = "stopped by the operator (jada tasks stop)"


@dataclass(frozen=True)
class Stopped:
    task: Task
    #: the session's execution ("" when the task was not running)
    execution: str
    #: how the session ended: `stopped`, or its own outcome when it ended by itself first
    outcome: str | None


def stop(
    task_id: str,
    now: datetime,
    *,
    tasks: TaskStore,
    counters: CounterStore,
    checkpoints: CheckpointStore,
    sfn: Any,
    state_machine_arn: str,
    cancel_after: bool = False,
) -> Stopped:
    """Stop a running task's session: mark it, stop its execution (`StoppedByOperator`), and
    record its end as session end would (outcome `stopped`, task `suspended`, slot released; the
    day's quota stays spent). With `cancel_after` the task is then cancelled.

    Safe to repeat and to race with the session's own end or the EventBridge rule for the
    aborted execution: whichever records the end first wins, the others change nothing. If the
    execution cannot be stopped, the mark still ends the session after its current turn."""
    task = tasks.get(task_id)
    if task.status is not TaskStatus.RUNNING:
        if cancel_after:
            return Stopped(cancel(tasks, task_id, now, checkpoints=checkpoints), "", None)
        raise IllegalTransition(
            f"task {task_id} is {task.status}, not running; there is no session to stop",
            task_id=task_id,
            current=task.status.value,
        )
    record = next((r for r in reversed(task.session_list()) if r.ended_at is None), None)
    if record is None:
        raise IllegalTransition(f"task {task_id} is running but has no open session", task_id=task_id)
    tasks.request_stop(task_id, record.number, now=now)
    arn = execution_arn(state_machine_arn, record.execution)
    try:
        sfn.stop_execution(executionArn=arn, error=StoppedByOperator.__name__, cause=STOP_CAUSE)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ExecutionDoesNotExist":
            raise
    event = SessionEndEvent(
        task_id=task_id,
        session=record.number,
        execution=record.execution,
        turns=record.turns,
        status="stopped",
        reason=STOPPED_REASON,
        error=StepError(Error=StoppedByOperator.__name__, Cause=STOP_CAUSE),
    )
    # a stopped session sends no email and spends no session budget: no topic, default settings
    ended: SessionEndResult = end_session(
        event, now, tasks=tasks, counters=counters, sns=None, topic_arn="", settings=Settings(),
        checkpoints=checkpoints,
        resume_at=now + CANCEL_HOLD if cancel_after else None,
    )  # fmt: skip
    after = tasks.get(task_id)
    if cancel_after and after.status is TaskStatus.SUSPENDED:
        after = cancel(tasks, task_id, now, checkpoints=checkpoints)
    return Stopped(after, record.execution, ended.outcome.value)


def execution_arn(state_machine_arn: str, execution: str) -> str:
    """arn:aws:states:<region>:<account>:stateMachine:<name> -> ...:execution:<name>:<execution>"""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{execution}"
