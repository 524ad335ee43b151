"""The task lifecycle as a pure table (docs/contracts.md, "Task lifecycle")."""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUSPENDED = "suspended"
    BLOCKED = "blocked"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class SessionOutcome(StrEnum):
    COMPLETED = "completed"
    TURN_LIMIT = "turn_limit"
    BLOCKED = "blocked"
    FAILED = "failed"
    #: the operator stopped the session (`jada tasks stop`): the task is suspended, not failed
    STOPPED = "stopped"


#: a turn batch's status when the session goes on (the state machine loops on it); any other
#: status is the session's outcome
CONTINUE = "continue"
#: a task's failure reason when its last allowed session ended at the turn limit
BUDGET_EXHAUSTED = "turn budget exhausted"
#: the reason recorded on a session the operator stopped (`jada tasks stop`)
STOPPED_REASON = "stopped by the operator"


S = TaskStatus

TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    S.PENDING: frozenset({S.RUNNING, S.CANCELLED}),
    S.RUNNING: frozenset({S.DONE, S.SUSPENDED, S.BLOCKED, S.FAILED}),
    S.SUSPENDED: frozenset({S.RUNNING, S.CANCELLED}),
    S.BLOCKED: frozenset({S.PENDING, S.CANCELLED}),
    S.FAILED: frozenset({S.PENDING}),
    S.DONE: frozenset(),
    S.CANCELLED: frozenset(),
}

#: Statuses the poll may start a session for (suspended ones only once due).
RUNNABLE: frozenset[TaskStatus] = frozenset({S.PENDING, S.SUSPENDED})
FINAL: frozenset[TaskStatus] = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
#: After these a task's checkpoints expire `retention_days` later (`failed` too: `jada tasks retry`
#: keeps them again); while a task waits in PARKED, they never expire.
RELEASES_HISTORY: frozenset[TaskStatus] = FINAL | {S.FAILED}
PARKED: frozenset[TaskStatus] = frozenset({S.BLOCKED, S.SUSPENDED})
#: Statuses in which an operator may edit a task's title, prompt and priority (no session runs).
EDITABLE: frozenset[TaskStatus] = frozenset({S.PENDING, S.SUSPENDED, S.BLOCKED, S.FAILED})


def can_transition(current: TaskStatus, target: TaskStatus) -> bool:
    return target in TRANSITIONS[current]


def sources_of(target: TaskStatus) -> frozenset[TaskStatus]:
    """Every status from which `target` may be reached (used to build conditional writes)."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


def status_after_session(
    outcome: SessionOutcome, sessions_run: int, max_sessions_per_task: int
) -> tuple[TaskStatus, str | None]:
    """The task's status once a session ends, and the failure reason if it failed."""
    if outcome is SessionOutcome.COMPLETED:
        return S.DONE, None
    if outcome is SessionOutcome.BLOCKED:
        return S.BLOCKED, None
    if outcome is SessionOutcome.STOPPED:
        return S.SUSPENDED, None
    if outcome is SessionOutcome.TURN_LIMIT:
        if sessions_run >= max_sessions_per_task:
            return S.FAILED, BUDGET_EXHAUSTED
        return S.SUSPENDED, None
    return S.FAILED, None
