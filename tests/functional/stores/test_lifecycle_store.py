"""The lifecycle table and the TaskStore agree: random transition sequences against DynamoDB in moto."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jada.errors import IllegalTransition
from jada.lifecycle import RUNNABLE, TaskStatus, can_transition
from jada.models import SessionRecord
from jada.stores.tasks import TaskStore

from tests.conftest import NOW

S = TaskStatus


def apply(store: TaskStore, task_id: str, target: TaskStatus, step: int, sessions: int) -> Any:
    now = NOW + timedelta(seconds=step)
    if target is S.RUNNING:
        record = SessionRecord(number=sessions + 1, execution=f"{task_id}-s{sessions + 1}", started_at="x")
        return store.claim(store.get(task_id), session=record, now=now)
    return store.transition(task_id, target, now=now)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.sampled_from(S), min_size=1, max_size=10))
def test_random_transition_sequences_follow_the_table(cloud: Any, steps: list[TaskStatus]) -> None:
    # Given a fresh pending task (one per example; removed at the end so the table stays small)
    store = cloud.tasks()
    task = store.create(prompt="lifecycle", now=NOW)
    try:
        check_sequence(store, task.task_id, steps)
    finally:
        store.table.delete_item(Key={"task_id": task.task_id})


def check_sequence(store: TaskStore, task_id: str, steps: list[TaskStatus]) -> None:
    status, version, sessions = S.PENDING, 0, 0
    before = store.get(task_id)
    for step, target in enumerate(steps, start=1):
        # When the step's target status is requested
        if can_transition(status, target):
            after = apply(store, task_id, target, step, sessions)
            # Then a legal move lands and bumps the version
            status, version = target, version + 1
            sessions += target is S.RUNNING
            assert after.status is target
            assert store.get(task_id) == after
        else:
            # Then an illegal move raises and changes nothing at all
            with pytest.raises(IllegalTransition):
                apply(store, task_id, target, step, sessions)
            assert store.get(task_id) == before
        before = store.get(task_id)
        assert (before.status, before.version, before.session_count) == (status, version, sessions)
        # And the runnable index lists the task exactly while it is pending or suspended
        runnable = {t.task_id for t in store.runnable(NOW + timedelta(days=1))}
        assert (task_id in runnable) == (status in RUNNABLE)


@pytest.mark.parametrize("final", [S.DONE, S.CANCELLED])
def test_a_final_task_refuses_every_status(cloud: Any, final: TaskStatus) -> None:
    # Given a task in a final status
    store = cloud.tasks()
    task = store.create(prompt="x", now=NOW)
    if final is S.DONE:
        apply(store, task.task_id, S.RUNNING, 1, 0)
    store.transition(task.task_id, final, now=NOW)
    frozen = store.get(task.task_id)
    # When any status is requested, Then it is refused and nothing changes
    for target in S:
        with pytest.raises(IllegalTransition):
            apply(store, task.task_id, target, 2, 1)
        assert store.get(task.task_id) == frozen
