"""TaskStore in moto: listing newest first a page at a time, operator edits, stop requests, and
session progress that never overwrites a session's end."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from jada.errors import IllegalTransition, InvalidTaskInput, TaskNotFound
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.models import SessionRecord, Task, Usage
from jada.stores import schema
from jada.stores.tasks import TaskStore, rank

from tests.conftest import NOW

S = TaskStatus


@pytest.fixture
def store(cloud: Any) -> TaskStore:
    return cloud.tasks()


def session(task: Task, number: int = 1) -> SessionRecord:
    return SessionRecord(
        number=number, execution=task.execution_name(number), started_at="2026-05-12T22:00:00Z"
    )


def many(store: TaskStore, count: int) -> list[Task]:
    """`count` tasks, one second apart (oldest first)."""
    return [store.create(prompt=f"task {i}", now=NOW + timedelta(seconds=i)) for i in range(count)]


# --- listing ------------------------------------------------------------------------------------
def test_the_newest_tasks_come_first_even_beyond_a_hundred(store: TaskStore, dynamo_ops: Any) -> None:
    # Given 105 tasks in several statuses
    created = many(store, 105)
    store.transition(created[-1].task_id, S.CANCELLED, now=NOW)
    store.claim(created[-2], session=session(created[-2]), now=NOW)
    log = dynamo_ops(store.table)
    # When the first page of 20 is listed
    page = store.list_newest(20)
    # Then it holds the 20 newest, newest first, whatever their status, read with Query only
    assert [t.task_id for t in page.tasks] == [t.task_id for t in reversed(created[-20:])]
    assert page.next_before == created[-20].task_id
    assert set(log.operations) == {"Query"}


def test_paging_with_before_walks_every_task_once(store: TaskStore) -> None:
    created = many(store, 105)
    seen: list[str] = []
    before = None
    for _ in range(10):
        page = store.list_newest(25, before=before)
        seen += [t.task_id for t in page.tasks]
        before = page.next_before
        if before is None:
            break
    assert seen == [t.task_id for t in reversed(created)]
    assert before is None


def test_tasks_created_in_the_same_second_page_without_gaps_or_repeats(store: TaskStore) -> None:
    created = [store.create(prompt=f"same second {i}", now=NOW) for i in range(12)]
    first = store.list_newest(5)
    second = store.list_newest(5, before=first.next_before)
    third = store.list_newest(5, before=second.next_before)
    ids = [t.task_id for page in (first, second, third) for t in page.tasks]
    assert sorted(ids) == sorted(t.task_id for t in created)
    assert len(set(ids)) == 12
    assert third.next_before is None


def test_a_status_filter_keeps_newest_first_and_pages(store: TaskStore) -> None:
    created = many(store, 30)
    cancelled = created[::3]
    for task in cancelled:
        store.transition(task.task_id, S.CANCELLED, now=NOW)
    page = store.list_newest(4, status=S.CANCELLED)
    rest = store.list_newest(100, status=S.CANCELLED, before=page.next_before)
    expected = [t.task_id for t in reversed(cancelled)]
    assert [t.task_id for t in page.tasks] == expected[:4]
    assert [t.task_id for t in rest.tasks] == expected[4:]
    assert rest.next_before is None


def test_before_a_time_starts_at_tasks_created_before_it(store: TaskStore) -> None:
    created = many(store, 10)
    page = store.list_newest(3, before="2026-05-12T22:00:05Z")
    assert [t.task_id for t in page.tasks] == [t.task_id for t in reversed(created[2:5])]


def test_before_that_is_neither_an_id_nor_a_time_is_refused(store: TaskStore) -> None:
    with pytest.raises(InvalidTaskInput, match="--before takes a task id or an ISO time"):
        store.list_newest(5, before="not-a-task")


def test_list_all_is_every_task_oldest_first(store: TaskStore) -> None:
    created = many(store, 7)
    assert [t.task_id for t in store.list_all()] == [t.task_id for t in created]
    assert [t.task_id for t in store.list_all(limit=3)] == [t.task_id for t in created[:3]]


# --- edits --------------------------------------------------------------------------------------
def test_edit_changes_the_fields_and_the_priority_order(store: TaskStore) -> None:
    # Given two pending tasks, the older one first in the queue
    old = store.create(prompt="old prompt", title="old", now=NOW)
    new = store.create(prompt="other", now=NOW + timedelta(seconds=1))
    assert [t.task_id for t in store.runnable(NOW + timedelta(minutes=1))] == [old.task_id, new.task_id]
    # When the newer one is edited to a higher priority
    edited = store.edit(new.task_id, now=NOW, title="  urgent  ", prompt=" do it now ", priority=9)
    # Then its fields change, its rank follows, and the poll takes it first
    assert (edited.title, edited.prompt, edited.priority) == ("urgent", "do it now", 9)
    assert edited.version == new.version + 1
    assert store.table.get_item(Key={"task_id": new.task_id})["Item"]["rank"] == rank(
        9, new.created_at, new.task_id
    )
    assert [t.task_id for t in store.runnable(NOW + timedelta(minutes=1))] == [new.task_id, old.task_id]
    assert store.get(old.task_id) == old


@pytest.mark.parametrize("status", [S.PENDING, S.SUSPENDED, S.BLOCKED, S.FAILED])
def test_edit_is_allowed_while_no_session_runs(store: TaskStore, status: S) -> None:
    task = store.create(prompt="p", now=NOW)
    if status is not S.PENDING:
        store.claim(task, session=session(task), now=NOW)
        store.transition(task.task_id, status, now=NOW)
    assert store.edit(task.task_id, now=NOW, title="renamed").title == "renamed"


@pytest.mark.parametrize("status", [S.RUNNING, S.DONE, S.CANCELLED])
def test_edit_is_refused_while_running_or_finished_and_changes_nothing(store: TaskStore, status: S) -> None:
    task = store.create(prompt="p", now=NOW)
    if status is S.CANCELLED:
        store.transition(task.task_id, status, now=NOW)
    else:
        store.claim(task, session=session(task), now=NOW)
        if status is S.DONE:
            store.transition(task.task_id, status, now=NOW)
    before = store.get(task.task_id)
    with pytest.raises(
        IllegalTransition, match=f"is {status.value}; only pending, suspended, blocked, failed"
    ):
        store.edit(task.task_id, now=NOW, priority=5)
    assert store.get(task.task_id) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "nothing to change"),
        ({"title": "   "}, "the title is empty"),
        ({"prompt": ""}, "the prompt is empty"),
        ({"priority": 1000}, "priority must be between 0 and 999"),
        ({"title": "x" * 201}, "the limit is 200"),
    ],
)
def test_bad_edits_are_refused(store: TaskStore, fields: dict[str, Any], message: str) -> None:
    task = store.create(prompt="p", now=NOW)
    with pytest.raises(InvalidTaskInput, match=message):
        store.edit(task.task_id, now=NOW, **fields)
    assert store.get(task.task_id) == task


def test_edit_of_an_unknown_task(store: TaskStore) -> None:
    with pytest.raises(TaskNotFound):
        store.edit("nope", now=NOW, title="x")


def test_an_edit_racing_a_claim_either_lands_before_it_or_is_refused(serial_dynamo: Any) -> None:
    # Given a pending task, and a poll and an operator acting on it at the same moment (real races
    # against a server that applies one request at a time, as DynamoDB does per item)
    stores = [TaskStore("race", table=serial_dynamo(schema.TASKS, "race")) for _ in range(2)]
    for attempt in range(8):
        task = stores[0].create(prompt="p", now=NOW, task_id=f"race{attempt}")
        outcome: dict[str, Any] = {}

        def claim(t: Task = task, outcome: dict[str, Any] = outcome) -> None:
            outcome["claim"] = stores[0].claim(t, session=session(t), now=NOW)

        def edit(t: Task = task, outcome: dict[str, Any] = outcome) -> None:
            try:
                outcome["edit"] = stores[1].edit(t.task_id, now=NOW, prompt="edited")
            except IllegalTransition as exc:
                outcome["refused"] = exc

        threads = [threading.Thread(target=claim), threading.Thread(target=edit)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        final = stores[0].get(task.task_id)
        # Then the claim always wins the status; the edit is either kept or refused, never lost half-way
        assert final.status is S.RUNNING
        if "edit" in outcome:
            assert final.prompt == "edited"
        else:
            assert final.prompt == "p"
            assert "is running" in str(outcome["refused"])


# --- stop requests and progress -----------------------------------------------------------------
def test_request_stop_marks_only_the_open_session_of_a_running_task(store: TaskStore) -> None:
    task = store.create(prompt="p", now=NOW)
    store.claim(task, session=session(task), now=NOW)
    marked = store.request_stop(task.task_id, 1, now=NOW + timedelta(minutes=3))
    assert marked.sessions["1"].stop_requested_at == "2026-05-12T22:03:00Z"
    assert marked.status is S.RUNNING
    with pytest.raises(IllegalTransition, match="session 2 is not running"):
        store.request_stop(task.task_id, 2, now=NOW)
    ended = marked.sessions["1"].model_copy(update={"ended_at": "x", "outcome": SessionOutcome.STOPPED})
    store.transition(task.task_id, S.SUSPENDED, now=NOW, session=ended)
    with pytest.raises(IllegalTransition, match="is suspended"):
        store.request_stop(task.task_id, 1, now=NOW)


def test_progress_never_overwrites_a_session_end_written_meanwhile(store: TaskStore) -> None:
    # Given a running session whose batch holds a copy of the record from before its end
    task = store.create(prompt="p", now=NOW)
    claimed = store.claim(task, session=session(task), now=NOW)
    stale = claimed.sessions["1"]
    store.request_stop(task.task_id, 1, now=NOW)
    closed = (
        store.get(task.task_id)
        .sessions["1"]
        .model_copy(
            update={
                "ended_at": "2026-05-12T22:05:00Z",
                "outcome": SessionOutcome.STOPPED,
                "reason": "stopped",
            }
        )
    )
    store.transition(task.task_id, S.SUSPENDED, now=NOW, session=closed)
    # When the batch records its progress from the stale copy
    progress = stale.model_copy(update={"turns": 4, "usage": Usage(input_tokens=10, cost_usd=0.5)})
    store.record_turns(task.task_id, progress, Usage(), now=NOW)
    # Then turns and usage change, the end and the stop request stay
    after = store.get(task.task_id).sessions["1"]
    assert (after.turns, after.usage.input_tokens, after.usage.cost_usd) == (4, 10, 0.5)
    assert (after.ended_at, after.outcome, after.reason) == (
        "2026-05-12T22:05:00Z",
        SessionOutcome.STOPPED,
        "stopped",
    )
    assert after.stop_requested_at is not None


def test_progress_of_a_session_without_a_record_writes_the_record(store: TaskStore) -> None:
    task = store.create(prompt="p", now=NOW)
    store.record_turns(task.task_id, session(task).model_copy(update={"turns": 2}), Usage(), now=NOW)
    assert store.get(task.task_id).sessions["1"].turns == 2
    with pytest.raises(TaskNotFound):
        store.record_turns("nope", session(task).model_copy(update={"turns": 1}), Usage(), now=NOW)
