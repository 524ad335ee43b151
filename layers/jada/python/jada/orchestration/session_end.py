"""The end of a session: close its record, move the task on, free the slot, tell the operator
(a blocked or failed task is emailed), and check the monthly budget.

Input is the last turn-batch output, or on the Catch path the same ids with `status: failed` and
`error: {"Error", "Cause"}`. Safe to run twice for one execution (Step Functions retries).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from jada.clock import iso, next_month, parse_time
from jada.errors import IllegalTransition, SpendLimitReached, StoppedByOperator
from jada.lifecycle import (
    BUDGET_EXHAUSTED,
    PARKED,
    RELEASES_HISTORY,
    STOPPED_REASON,
    SessionOutcome,
    TaskStatus,
    status_after_session,
)
from jada.models import SessionRecord, Task
from jada.orchestration.budget import BudgetCheck, check_budget
from jada.orchestration.notices import blocked_message, failed_message, publish
from jada.settings import Settings
from jada.stores.counters import CounterStore
from jada.stores.tasks import TaskStore
from jada.telemetry import M, logger

if TYPE_CHECKING:  # the poll imports this module too: it needs no checkpoint store
    from jada.stores.checkpoints import CheckpointStore

MAX_REASON_CHARS = 1000

OUTCOME_METRIC = {
    SessionOutcome.COMPLETED: M.SESSION_COMPLETED,
    SessionOutcome.TURN_LIMIT: M.SESSION_TURN_LIMIT,
    SessionOutcome.BLOCKED: M.SESSION_BLOCKED,
    SessionOutcome.FAILED: M.SESSION_FAILED,
    SessionOutcome.STOPPED: M.SESSION_STOPPED,
}
STATUS_METRIC = {
    TaskStatus.DONE: M.TASK_DONE,
    TaskStatus.SUSPENDED: M.TASK_SUSPENDED,
    TaskStatus.BLOCKED: M.TASK_BLOCKED,
    TaskStatus.FAILED: M.TASK_FAILED,
}


class StepError(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    Error: str = "States.Unknown"
    Cause: str | None = None


class SessionEndEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    task_id: str
    session: int
    execution: str
    turns: int = 0
    status: str = "failed"
    reason: str | None = None
    error: StepError | None = None


#: the error name of an execution stopped without one of its own (e.g. StopExecution with no error)
ABORTED = "States.Aborted"

#: execution status -> (error name, what happened) when the event carries no error of its own
STATUS_ERRORS = {
    "TIMED_OUT": ("States.Timeout", "hit the state machine's timeout"),
    "ABORTED": (ABORTED, "was stopped (aborted)"),
    "FAILED": ("States.Failed", "failed"),
}


def event_from_status_change(detail: dict[str, Any]) -> SessionEndEvent:
    """An EventBridge "Step Functions Execution Status Change" (FAILED, TIMED_OUT, ABORTED) as a
    Catch-path event: executions that ended without their own end step still close the session."""
    try:
        started_with = json.loads(detail.get("input") or "{}")
    except ValueError:
        started_with = {}
    status = str(detail.get("status", "FAILED"))
    name, said = STATUS_ERRORS.get(status, ("States.Failed", "failed"))
    error = {
        "Error": detail.get("error") or name,
        "Cause": detail.get("cause") or f"the execution {detail.get('name', '')} {said}",
    }
    return SessionEndEvent.model_validate({**started_with, "status": "failed", "error": error})


@dataclass
class SessionEndResult:
    task_id: str
    execution: str
    outcome: SessionOutcome
    status: TaskStatus | None
    reason: str | None
    #: False when this execution had already been recorded (a retried invocation)
    recorded: bool = True
    #: the blocked-task or failed-task email was published
    notified: bool = False
    metrics: dict[str, float] = field(default_factory=dict)
    budget: BudgetCheck | None = None

    def output(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "execution": self.execution,
            "outcome": self.outcome.value,
            "status": self.status.value if self.status else None,
            "reason": self.reason,
        }


def outcome_and_reason(
    event: SessionEndEvent, record: SessionRecord | None = None
) -> tuple[SessionOutcome, str | None]:
    """The session's outcome and reason. An execution the operator stopped (`StoppedByOperator`,
    or aborted after `jada tasks stop` marked the session) ended `stopped`, not `failed`."""
    if is_operator_stop(event, record):
        return SessionOutcome.STOPPED, STOPPED_REASON
    if event.error is not None:
        return SessionOutcome.FAILED, _clip(f"{event.error.Error}: {_cause_message(event.error.Cause)}")
    try:
        outcome = SessionOutcome(event.status)
    except ValueError:
        return SessionOutcome.FAILED, f"unexpected batch status {event.status!r}"
    return outcome, _clip(event.reason) if event.reason else None


def is_operator_stop(event: SessionEndEvent, record: SessionRecord | None) -> bool:
    if event.status == SessionOutcome.STOPPED.value:
        return True
    if event.error is None:
        return False
    if event.error.Error == StoppedByOperator.__name__:
        return True
    requested = record is not None and record.stop_requested_at is not None
    return requested and event.error.Error == ABORTED


def _cause_message(cause: str | None) -> str:
    """A Lambda error's Cause is JSON ({"errorType", "errorMessage", ...}): keep the message."""
    if not cause:
        return "no cause given"
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(parsed, dict) and parsed.get("errorMessage"):
        return str(parsed["errorMessage"])
    return cause


def _clip(text: str) -> str:
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


def sessions_in_budget(task: Task) -> int:
    """Sessions counted against `max_sessions_per_task`: those since the task last failed (an
    operator's retry starts a fresh budget), the current one included; sessions the operator
    stopped do not count."""
    count = 0
    for record in reversed(task.session_list()):
        if record.outcome is SessionOutcome.STOPPED:
            continue
        ended_failing = record.outcome is SessionOutcome.FAILED or record.reason == BUDGET_EXHAUSTED
        if record.ended_at is not None and ended_failing:
            break
        count += 1
    return count


def end_session(
    event: SessionEndEvent,
    now: datetime,
    *,
    tasks: TaskStore,
    counters: CounterStore,
    sns: Any,
    topic_arn: str,
    settings: Settings,
    checkpoints: CheckpointStore,
    resume_at: datetime | None = None,
) -> SessionEndResult:
    """`resume_at`: when a suspended task becomes due again (default `now`: the next poll)."""
    if event.error is not None and event.error.Error == SpendLimitReached.__name__:
        # the API refuses every request until the limit resets: start no more sessions till then
        said = outcome_and_reason(event)[1]
        counters.pause_sessions(said or "spend limit reached", next_month(now), now)
    task = tasks.get(event.task_id)
    stored = task.sessions.get(str(event.session))
    outcome, reason = outcome_and_reason(event, stored)
    record = stored or SessionRecord(number=event.session, execution=event.execution, started_at=iso(now))
    if record.ended_at is not None:  # a retry of an invocation that already recorded it
        counters.release_slot(event.execution)
        settle_history(checkpoints, task.task_id, task.status, parse_time(record.ended_at))
        previous = record.outcome or outcome
        retried = SessionEndResult(
            event.task_id, event.execution, previous, task.status, record.reason, recorded=False
        )
        # the first run may have crashed before the budget check: it is idempotent
        retried.budget = check_budget(now, counters=counters, settings=settings, sns=sns, topic_arn=topic_arn)
        return retried
    turns = max(event.turns, record.turns)  # a status-change event only knows the starting count
    closed = record.model_copy(
        update={"ended_at": iso(now), "turns": turns, "outcome": outcome, "reason": reason}
    )
    target, budget_reason = status_after_session(
        outcome, sessions_in_budget(task), settings.max_sessions_per_task
    )
    failure = budget_reason or reason
    if budget_reason and not closed.reason:
        closed = closed.model_copy(update={"reason": budget_reason})
    result = SessionEndResult(event.task_id, event.execution, outcome, target, failure)
    result.metrics[OUTCOME_METRIC[outcome]] = 1

    if task.status is not TaskStatus.RUNNING:
        # not ours to move (an operator changed it): keep the record, free the slot
        logger().warning("task %s is %s at session end; status left as is", task.task_id, task.status)
        tasks.update_session(task.task_id, closed, now=now)
        counters.release_slot(event.execution)
        settle_history(checkpoints, task.task_id, task.status, now)
        result.status = task.status
        result.budget = check_budget(now, counters=counters, settings=settings, sns=sns, topic_arn=topic_arn)
        return result

    fields = _notify(
        task, closed, target, result, reason=reason, settings=settings, sns=sns, topic_arn=topic_arn
    )
    try:
        tasks.transition(
            task.task_id, target, now=now, expected=TaskStatus.RUNNING, ready_at=resume_at or now,
            set_fields=fields, session=closed,
        )  # fmt: skip
    except IllegalTransition:
        logger().warning("task %s changed during session end; record kept", task.task_id)
        tasks.update_session(task.task_id, closed, now=now)
        result.status = tasks.get(task.task_id).status
    else:
        result.metrics[STATUS_METRIC[target]] = 1
    counters.release_slot(event.execution)
    if result.status is not None:
        settle_history(checkpoints, task.task_id, result.status, now)
    logger().info(
        "session %s ended: %s -> task %s", event.execution, outcome.value, target.value,
        extra={"task_id": task.task_id, "reason": failure},
    )  # fmt: skip
    result.budget = check_budget(now, counters=counters, settings=settings, sns=sns, topic_arn=topic_arn)
    return result


def _notify(
    task: Task,
    closed: SessionRecord,
    target: TaskStatus,
    result: SessionEndResult,
    *,
    reason: str | None,
    settings: Settings,
    sns: Any,
    topic_arn: str,
) -> dict[str, Any]:
    """Email a failed or blocked task; the task fields its status write sets. At least once: the
    email is published before the write that makes a retry a no-op."""
    fields: dict[str, Any] = {}
    if target is TaskStatus.FAILED:
        fields["failure_reason"] = result.reason or "session failed"
        subject, body = failed_message(
            task.model_copy(update={"sessions": {**task.sessions, str(closed.number): closed}}),
            fields["failure_reason"], settings.max_sessions_per_task,
        )  # fmt: skip
        result.notified = publish(sns, topic_arn, subject, body, kind="task_failed", task_id=task.task_id)
    if target is TaskStatus.BLOCKED:
        fields["blocked_reason"] = reason or task.blocked_reason or "no reason given"
        subject, body = blocked_message(task, fields["blocked_reason"])
        result.notified = publish(sns, topic_arn, subject, body, kind="task_blocked", task_id=task.task_id)
    return fields


def settle_history(checkpoints: CheckpointStore, task_id: str, status: TaskStatus, at: datetime) -> None:
    """After the status write (a retried session end repeats it): a finished task's turns expire
    `retention_days` after `at`; a parked task's never do, however long it waits."""
    if status in RELEASES_HISTORY:
        checkpoints.release(task_id, at)
    elif status in PARKED:
        checkpoints.keep(task_id, at, restore_objects=False)
