"""The task lifecycle as a pure table (docs/contracts.md, "Task lifecycle")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jada.lifecycle import (
    FINAL,
    RUNNABLE,
    TRANSITIONS,
    SessionOutcome,
    TaskStatus,
    can_transition,
    sources_of,
    status_after_session,
)

S = TaskStatus
Out = SessionOutcome

#: The design's transitions, written out independently of the module under test.
DESIGN = {
    ("pending", "running"), ("pending", "cancelled"),
    ("running", "done"), ("running", "suspended"), ("running", "blocked"), ("running", "failed"),
    ("suspended", "running"), ("suspended", "cancelled"),
    ("blocked", "pending"), ("blocked", "cancelled"),
    ("failed", "pending"),
}  # fmt: skip


def test_the_table_is_exactly_the_designs_transitions() -> None:
    table = {(a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == DESIGN
    assert set(TRANSITIONS) == set(S)


def test_final_statuses_are_done_and_cancelled_and_have_no_exits() -> None:
    assert {S.DONE, S.CANCELLED} == FINAL
    for status in FINAL:
        assert not any(can_transition(status, target) for target in S)


def test_runnable_statuses_are_pending_and_suspended() -> None:
    assert {S.PENDING, S.SUSPENDED} == RUNNABLE


@given(st.sampled_from(S), st.sampled_from(S))
def test_can_transition_agrees_with_the_design(current: TaskStatus, target: TaskStatus) -> None:
    assert can_transition(current, target) == ((current.value, target.value) in DESIGN)


@given(st.sampled_from(S))
def test_sources_of_is_the_inverse_of_the_table(target: TaskStatus) -> None:
    assert sources_of(target) == {s for s in S if (s.value, target.value) in DESIGN}


def test_no_status_may_move_to_itself() -> None:
    assert not any(can_transition(s, s) for s in S)


def test_every_status_is_reachable_from_pending() -> None:
    seen, frontier = {S.PENDING}, [S.PENDING]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()] - seen:
            seen.add(nxt)
            frontier.append(nxt)
    assert seen == set(S)


# --- status_after_session ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcome", "sessions_run", "max_sessions", "expected"),
    [
        (Out.COMPLETED, 1, 3, (S.DONE, None)),
        (Out.COMPLETED, 3, 3, (S.DONE, None)),
        (Out.BLOCKED, 1, 3, (S.BLOCKED, None)),
        (Out.BLOCKED, 3, 3, (S.BLOCKED, None)),
        (Out.TURN_LIMIT, 1, 3, (S.SUSPENDED, None)),
        (Out.TURN_LIMIT, 2, 3, (S.SUSPENDED, None)),
        (Out.TURN_LIMIT, 3, 3, (S.FAILED, "turn budget exhausted")),
        (Out.TURN_LIMIT, 4, 3, (S.FAILED, "turn budget exhausted")),
        (Out.TURN_LIMIT, 1, 1, (S.FAILED, "turn budget exhausted")),
        (Out.FAILED, 1, 3, (S.FAILED, None)),
        (Out.STOPPED, 1, 3, (S.SUSPENDED, None)),
        (Out.STOPPED, 3, 3, (S.SUSPENDED, None)),
    ],
)
def test_status_after_session(
    outcome: SessionOutcome, sessions_run: int, max_sessions: int, expected: tuple[TaskStatus, str | None]
) -> None:
    assert status_after_session(outcome, sessions_run, max_sessions) == expected


@given(st.sampled_from(Out), st.integers(1, 50), st.integers(1, 50))
def test_status_after_session_is_always_a_legal_exit_from_running(
    outcome: SessionOutcome, sessions_run: int, max_sessions: int
) -> None:
    status, reason = status_after_session(outcome, sessions_run, max_sessions)
    assert can_transition(S.RUNNING, status)
    assert (reason is not None) == (outcome is Out.TURN_LIMIT and sessions_run >= max_sessions)
