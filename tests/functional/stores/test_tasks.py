"""TaskStore against DynamoDB in moto: the queue, its indexes, links, sessions and races."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import boto3
import pytest
from jada.errors import IllegalTransition, InvalidTaskInput, TaskNotFound
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.models import MAX_PROMPT_CHARS, MAX_TITLE_CHARS, Answer, SessionRecord, Usage
from jada.stores import schema
from jada.stores.tasks import TaskStore, child_task_id

from tests.conftest import NOW

S = TaskStatus


def item_count(cloud: Any) -> int:
    return int(boto3.client("dynamodb").scan(TableName=cloud.tasks_table, Select="COUNT")["Count"])


def session(number: int, task_id: str = "t") -> SessionRecord:
    return SessionRecord(number=number, execution=f"{task_id}-s{number}", started_at="2026-05-12T22:00:00Z")


@pytest.fixture
def store(cloud: Any) -> TaskStore:
    return cloud.tasks()


# --- create and get ---------------------------------------------------------------------------
def test_create_then_get_returns_the_same_task(store: TaskStore) -> None:
    # Given a task created with every optional field
    created = store.create(
        prompt="  build the crew page  ", title="crew", priority=7, now=NOW, max_cost_usd=2.5
    )
    # When it is read back
    loaded = store.get(created.task_id)
    # Then it is pending, stripped, ready now, and equal to what create returned
    assert loaded == created
    assert loaded.status is S.PENDING
    assert loaded.prompt == "build the crew page"
    assert loaded.ready_at == loaded.created_at == "2026-05-12T22:00:00Z"
    assert loaded.version == 0


def test_create_without_title_takes_the_first_prompt_line(store: TaskStore) -> None:
    task = store.create(prompt="first line\nsecond line", now=NOW)
    assert store.get(task.task_id).title == "first line"


def test_get_unknown_id_raises_task_not_found(store: TaskStore) -> None:
    with pytest.raises(TaskNotFound) as err:
        store.get("nope")
    assert err.value.details == {"task_id": "nope"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prompt": ""}, "empty"),
        ({"prompt": "   \n\t "}, "empty"),
        ({"prompt": "x" * (MAX_PROMPT_CHARS + 1)}, "limit"),
        ({"prompt": "ok", "title": "t" * (MAX_TITLE_CHARS + 1)}, "title"),
        ({"prompt": "ok", "priority": -1}, "priority"),
        ({"prompt": "ok", "priority": 1000}, "priority"),
    ],
)
def test_bad_input_raises_invalid_task_input_and_writes_nothing(
    store: TaskStore, cloud: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidTaskInput, match=message):
        store.create(now=NOW, **kwargs)
    assert item_count(cloud) == 0


def test_prompt_at_the_limit_and_extreme_priorities_are_accepted(store: TaskStore) -> None:
    store.create(prompt="x" * MAX_PROMPT_CHARS, priority=0, now=NOW)
    store.create(prompt="y", priority=999, now=NOW)
    assert len(store.list_by_status(S.PENDING)) == 2


def test_create_with_same_origin_returns_the_first_task_and_writes_no_second_item(
    store: TaskStore, cloud: Any
) -> None:
    # Given a child task created by a tool_use
    first = store.create(prompt="deploy", title="deploy", parent_id="p1", origin="toolu_01", now=NOW)
    # When the same tool_use is replayed (a retried batch), even with other text and a later time
    again = store.create(prompt="deploy v2", title="other", origin="toolu_01", now=NOW + timedelta(hours=1))
    # Then the first task comes back and there is still one item
    assert again == first
    assert first.task_id == child_task_id("toolu_01")
    assert item_count(cloud) == 1


def test_create_with_different_origins_makes_different_tasks(store: TaskStore, cloud: Any) -> None:
    a = store.create(prompt="a", origin="toolu_a", now=NOW)
    b = store.create(prompt="a", origin="toolu_b", now=NOW)
    assert a.task_id != b.task_id
    assert item_count(cloud) == 2


# --- listing without a scan -------------------------------------------------------------------
def test_list_by_status_orders_by_priority_then_age_using_only_query(
    store: TaskStore, dynamo_ops: Any
) -> None:
    # Given tasks of mixed priority and age, and one in another status
    low_old = store.create(prompt="low old", priority=1, now=NOW)
    high_new = store.create(prompt="high new", priority=9, now=NOW + timedelta(minutes=2))
    low_new = store.create(prompt="low new", priority=1, now=NOW + timedelta(minutes=1))
    high_old = store.create(prompt="high old", priority=9, now=NOW - timedelta(minutes=1))
    other = store.create(prompt="cancelled", priority=50, now=NOW)
    store.transition(other.task_id, S.CANCELLED, now=NOW)
    log = dynamo_ops(store.table)
    # When pending tasks are listed
    listed = store.list_by_status(S.PENDING)
    # Then highest priority comes first, oldest first within a priority, via Query only
    assert [t.task_id for t in listed] == [
        high_old.task_id,
        high_new.task_id,
        low_old.task_id,
        low_new.task_id,
    ]
    assert log.operations == ["Query"]
    assert [t.task_id for t in store.list_by_status(S.CANCELLED)] == [other.task_id]


def test_list_by_status_pages_through_results_and_honours_limit(store: TaskStore, dynamo_ops: Any) -> None:
    # Given more tasks than fit in one query page (prompts near 100 KB: ~1 MB per page)
    ids = [store.create(prompt=f"{i}" + "x" * 90_000, priority=0, now=NOW + timedelta(seconds=i)).task_id
           for i in range(14)]  # fmt: skip
    log = dynamo_ops(store.table)
    # When listed with and without a limit
    everything = store.list_by_status(S.PENDING, limit=100)
    first_three = store.list_by_status(S.PENDING, limit=3)
    # Then every task comes back in order, over several Query pages
    assert [t.task_id for t in everything] == ids
    assert [t.task_id for t in first_three] == ids[:3]
    assert set(log.operations) == {"Query"}
    assert log.operations.count("Query") > 2


def test_runnable_returns_pending_and_due_suspended_but_not_future_or_other(
    store: TaskStore, dynamo_ops: Any
) -> None:
    # Given a pending task, a suspended one that is due, one suspended until later, one running
    pending = store.create(prompt="pending", now=NOW)
    due = store.create(prompt="due", priority=5, now=NOW)
    later = store.create(prompt="later", priority=9, now=NOW)
    running = store.create(prompt="running", priority=9, now=NOW)
    for task in (due, later, running):
        store.claim(task, session=session(1, task.task_id), now=NOW)
    store.transition(due.task_id, S.SUSPENDED, now=NOW, ready_at=NOW + timedelta(minutes=1))
    store.transition(later.task_id, S.SUSPENDED, now=NOW, ready_at=NOW + timedelta(hours=2))
    log = dynamo_ops(store.table)
    # When the poll asks at NOW + 1 minute
    found = store.runnable(NOW + timedelta(minutes=1))
    # Then it gets the due suspended task (priority 5) before the pending one, with one Query
    assert [t.task_id for t in found] == [due.task_id, pending.task_id]
    assert log.operations == ["Query"]
    # And at NOW + 2 hours the later one is due too
    assert later.task_id in {t.task_id for t in store.runnable(NOW + timedelta(hours=2))}


def test_every_read_uses_only_query_and_get_item(store: TaskStore, dynamo_ops: Any) -> None:
    # Given tasks in several statuses
    a = store.create(prompt="a", now=NOW)
    b = store.create(prompt="b", now=NOW)
    store.transition(b.task_id, S.CANCELLED, now=NOW)
    log = dynamo_ops(store.table)
    # When every read the poll, the CLI and the handlers use is called
    store.get(a.task_id)
    store.list_by_status(S.PENDING)
    store.runnable(NOW)
    store.list_all()
    # Then no Scan (or anything else) was made
    assert set(log.operations) == {"GetItem", "Query"}


def test_runnable_is_empty_when_every_task_is_finished(store: TaskStore) -> None:
    task = store.create(prompt="x", now=NOW)
    store.transition(task.task_id, S.CANCELLED, now=NOW)
    assert store.runnable(NOW) == []


def test_list_all_returns_every_status_oldest_first(store: TaskStore) -> None:
    a = store.create(prompt="a", now=NOW)
    b = store.create(prompt="b", now=NOW + timedelta(seconds=1))
    store.transition(a.task_id, S.CANCELLED, now=NOW)
    assert [t.task_id for t in store.list_all()] == [a.task_id, b.task_id]


# --- claims -----------------------------------------------------------------------------------
def test_claim_moves_to_running_records_the_session_and_leaves_the_queue(store: TaskStore) -> None:
    task = store.create(prompt="x", now=NOW)
    claimed = store.claim(task, session=session(1, task.task_id), now=NOW + timedelta(seconds=5))
    assert claimed.status is S.RUNNING
    assert claimed.sessions["1"].execution == f"{task.task_id}-s1"
    assert claimed.updated_at == "2026-05-12T22:00:05Z"
    assert claimed.version == 1
    assert store.runnable(NOW + timedelta(days=1)) == []


def test_claim_of_a_claimed_task_raises_illegal_transition_and_changes_nothing(store: TaskStore) -> None:
    task = store.create(prompt="x", now=NOW)
    first = store.claim(task, session=session(1), now=NOW)
    with pytest.raises(IllegalTransition):
        store.claim(task, session=session(2), now=NOW + timedelta(seconds=1))
    assert store.get(task.task_id) == first


def test_claim_with_a_session_number_already_used_is_refused(store: TaskStore) -> None:
    # Given a task whose session 1 ran and which is suspended again
    task = store.create(prompt="x", now=NOW)
    store.claim(task, session=session(1), now=NOW)
    suspended = store.transition(task.task_id, S.SUSPENDED, now=NOW)
    # When a stale poll claims it again as session 1
    with pytest.raises(IllegalTransition):
        store.claim(task, session=session(1), now=NOW)
    # Then the task and its session 1 record are untouched
    assert store.get(task.task_id) == suspended


def test_ten_threads_racing_to_claim_one_task_exactly_one_wins(serial_dynamo: Any) -> None:
    # Given a pending task and ten pollers, each with its own client, that all read it as pending
    # (DynamoDB behind a one-request-at-a-time server: see the serial_dynamo fixture for why)
    task = TaskStore("race", table=serial_dynamo(schema.TASKS, "race")).create(prompt="contended", now=NOW)
    pollers = [TaskStore("race", table=serial_dynamo(schema.TASKS, "race")) for _ in range(10)]
    start = threading.Barrier(len(pollers))
    wins: list[int] = []
    losses: list[int] = []

    def poll(i: int, poller: TaskStore) -> None:
        record = session(1, task.task_id).model_copy(update={"execution": f"e{i}"})
        start.wait()
        try:
            poller.claim(task, session=record, now=NOW)
            wins.append(i)
        except IllegalTransition:
            losses.append(i)

    threads = [threading.Thread(target=poll, args=(i, p)) for i, p in enumerate(pollers)]
    # When they all claim at once
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then exactly one wins, the nine others get IllegalTransition, and the winner's record stands
    assert len(wins) == 1
    assert len(losses) == 9
    final = pollers[0].get(task.task_id)
    assert final.status is S.RUNNING
    assert final.sessions["1"].execution == f"e{wins[0]}"
    assert final.version == 1


# --- release_claim ----------------------------------------------------------------------------
def test_release_claim_restores_the_status_and_drops_the_session(store: TaskStore) -> None:
    # Given a suspended task (session 1 ran) claimed for session 2 whose start failed
    task = store.create(prompt="x", now=NOW)
    store.claim(task, session=session(1), now=NOW)
    store.transition(task.task_id, S.SUSPENDED, now=NOW, ready_at=NOW + timedelta(minutes=3))
    before = store.get(task.task_id)
    store.claim(before, session=session(2), now=NOW + timedelta(minutes=5))
    # When the claim is released
    released = store.release_claim(before, session_number=2, now=NOW + timedelta(minutes=6))
    # Then it is suspended and runnable again with only session 1, and its version moved on
    assert released.status is S.SUSPENDED
    assert list(released.sessions) == ["1"]
    assert released.ready_at == before.ready_at
    assert released.version > before.version + 1
    assert [t.task_id for t in store.runnable(NOW + timedelta(minutes=6))] == [task.task_id]


def test_release_claim_of_a_task_not_running_raises_and_changes_nothing(store: TaskStore) -> None:
    task = store.create(prompt="x", now=NOW)
    with pytest.raises(IllegalTransition):
        store.release_claim(task, session_number=1, now=NOW)
    assert store.get(task.task_id) == task


def test_release_claim_of_another_pollers_session_is_refused(store: TaskStore) -> None:
    # Given a task claimed for session 1 by one poll
    task = store.create(prompt="x", now=NOW)
    claimed = store.claim(task, session=session(1), now=NOW)
    # When a different poll tries to release a session 2 it never held
    with pytest.raises(IllegalTransition):
        store.release_claim(task, session_number=2, now=NOW)
    # Then the running claim stands
    assert store.get(task.task_id) == claimed


def test_release_claim_of_unknown_task_raises_task_not_found(store: TaskStore) -> None:
    task = store.create(prompt="x", now=NOW)
    ghost = task.model_copy(update={"task_id": "ghost"})
    with pytest.raises(TaskNotFound):
        store.release_claim(ghost, session_number=1, now=NOW)


# --- links, notes, sessions, answers ----------------------------------------------------------
def test_add_child_links_once_even_when_repeated(store: TaskStore) -> None:
    parent = store.create(prompt="parent", now=NOW)
    child = store.create(prompt="child", parent_id=parent.task_id, origin="toolu_9", now=NOW)
    store.add_child(parent.task_id, child.task_id, now=NOW)
    store.add_child(parent.task_id, child.task_id, now=NOW)
    store.add_child(parent.task_id, "other", now=NOW)
    assert store.get(parent.task_id).children == [child.task_id, "other"]
    assert store.get(child.task_id).parent_id == parent.task_id


def test_add_child_to_unknown_parent_raises_task_not_found(store: TaskStore) -> None:
    with pytest.raises(TaskNotFound):
        store.add_child("ghost", "c1", now=NOW)


def test_handoff_note_is_stored_and_replaced(store: TaskStore) -> None:
    task = store.create(prompt="x", now=NOW)
    store.set_handoff_note(task.task_id, "step 1 done", now=NOW)
    store.set_handoff_note(task.task_id, "step 2 done", now=NOW + timedelta(seconds=1))
    loaded = store.get(task.task_id)
    assert loaded.handoff_note == "step 2 done"
    assert loaded.updated_at == "2026-05-12T22:00:01Z"


def test_handoff_note_on_unknown_task_raises_task_not_found(store: TaskStore) -> None:
    with pytest.raises(TaskNotFound):
        store.set_handoff_note("ghost", "n", now=NOW)


def test_update_fields_with_none_removes_the_field(store: TaskStore) -> None:
    task = store.create(prompt="x", now=NOW)
    store.update_fields(task.task_id, now=NOW, summary="s", handoff_note="n")
    store.update_fields(task.task_id, now=NOW, summary=None)
    loaded = store.get(task.task_id)
    assert loaded.summary is None
    assert loaded.handoff_note == "n"


def test_update_session_records_history_in_order(store: TaskStore) -> None:
    # Given a task with two sessions
    task = store.create(prompt="x", now=NOW)
    store.claim(task, session=session(1), now=NOW)
    store.transition(task.task_id, S.SUSPENDED, now=NOW)
    store.claim(store.get(task.task_id), session=session(2), now=NOW)
    # When session 2 is updated with its end
    ended = session(2).model_copy(
        update={"ended_at": "2026-05-12T23:00:00Z", "turns": 30, "outcome": SessionOutcome.TURN_LIMIT,
                "usage": Usage(input_tokens=10, cost_usd=0.25)}
    )  # fmt: skip
    store.update_session(task.task_id, ended, now=NOW)
    # Then the history lists both, the second one closed
    history = store.get(task.task_id).session_list()
    assert [s.number for s in history] == [1, 2]
    assert history[1] == ended
    assert history[0].ended_at is None


def test_update_session_on_unknown_task_raises_task_not_found(store: TaskStore) -> None:
    with pytest.raises(TaskNotFound):
        store.update_session("ghost", session(1), now=NOW)


def test_add_usage_accumulates(store: TaskStore) -> None:
    task = store.create(prompt="x", now=NOW)
    store.add_usage(task.task_id, Usage(input_tokens=5, output_tokens=1, cost_usd=0.1), now=NOW)
    total = store.add_usage(task.task_id, Usage(input_tokens=7, cache_read_tokens=3, cost_usd=0.2), now=NOW)
    assert total.usage == Usage(input_tokens=12, output_tokens=1, cache_read_tokens=3, cost_usd=0.3)
    assert store.get(task.task_id).usage == total.usage


def test_add_usage_on_unknown_task_raises_task_not_found(store: TaskStore, cloud: Any) -> None:
    with pytest.raises(TaskNotFound):
        store.add_usage("ghost", Usage(input_tokens=1), now=NOW)
    assert item_count(cloud) == 0


def test_racing_usage_updates_are_never_lost(serial_dynamo: Any) -> None:
    # Given a task and 8 writers each adding usage at the same moment
    task = TaskStore("usage", table=serial_dynamo(schema.TASKS, "usage")).create(prompt="x", now=NOW)
    writers = [TaskStore("usage", table=serial_dynamo(schema.TASKS, "usage")) for _ in range(8)]
    start = threading.Barrier(len(writers))

    def add(writer: TaskStore) -> None:
        start.wait()
        writer.add_usage(task.task_id, Usage(input_tokens=10, output_tokens=1, cost_usd=0.125), now=NOW)

    threads = [threading.Thread(target=add, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then every addition counted
    assert writers[0].get(task.task_id).usage == Usage(input_tokens=80, output_tokens=8, cost_usd=1.0)


def test_create_with_an_existing_explicit_id_is_refused_and_keeps_the_first(store: TaskStore) -> None:
    first = store.create(prompt="first", task_id="fixed", now=NOW)
    with pytest.raises(InvalidTaskInput, match="already exists"):
        store.create(prompt="second", task_id="fixed", now=NOW)
    assert store.get("fixed") == first


def test_add_answer_appends_and_sets_the_pending_answer(store: TaskStore) -> None:
    task = store.create(prompt="x", now=NOW)
    store.add_answer(task.task_id, Answer(at="2026-05-12T22:01:00Z", answer="use blue"), now=NOW)
    store.add_answer(task.task_id, Answer(at="2026-05-12T22:02:00Z", answer="and green"), now=NOW)
    loaded = store.get(task.task_id)
    assert [a.answer for a in loaded.answers] == ["use blue", "and green"]
    assert loaded.pending_answer == "and green"


def test_add_answer_to_unknown_task_raises_task_not_found(store: TaskStore) -> None:
    with pytest.raises(TaskNotFound):
        store.add_answer("ghost", Answer(at="2026-05-12T22:01:00Z", answer="a"), now=NOW)


def test_transition_of_unknown_task_raises_task_not_found(store: TaskStore) -> None:
    with pytest.raises(TaskNotFound):
        store.transition("ghost", S.CANCELLED, now=NOW)


def test_transition_with_fields_sets_and_removes_them(store: TaskStore) -> None:
    # Given a blocked task with a reason
    task = store.create(prompt="x", now=NOW)
    store.claim(task, session=session(1), now=NOW)
    store.transition(task.task_id, S.BLOCKED, now=NOW, set_fields={"blocked_reason": "need a logo"})
    assert store.get(task.task_id).blocked_reason == "need a logo"
    # When an operator unblocks it (clearing the reason)
    back = store.transition(task.task_id, S.PENDING, now=NOW, set_fields={"blocked_reason": None})
    # Then it is pending, runnable, and the reason is gone
    assert back.status is S.PENDING
    assert back.blocked_reason is None
    assert [t.task_id for t in store.runnable(NOW)] == [task.task_id]


def test_transition_with_wrong_expected_status_raises(store: TaskStore) -> None:
    task = store.create(prompt="x", now=NOW)
    with pytest.raises(IllegalTransition):
        store.transition(task.task_id, S.CANCELLED, now=NOW, expected=S.SUSPENDED)
    with pytest.raises(IllegalTransition):
        store.transition(task.task_id, S.CANCELLED, now=NOW, expected=S.DONE)
    assert store.get(task.task_id) == task


@pytest.mark.parametrize("task_id", ["", "a.b", "a[0]", "with space", "x" * 65])
def test_an_explicit_id_that_is_not_a_plain_name_is_refused(
    store: TaskStore, cloud: Any, task_id: str
) -> None:
    # (ids become attribute paths and Step Functions execution names)
    with pytest.raises(InvalidTaskInput, match="task id"):
        store.create(prompt="x", task_id=task_id, now=NOW)
    assert item_count(cloud) == 0


def test_a_transition_bumps_the_version_and_keeps_other_fields(store: TaskStore) -> None:
    # Given a running task with a handoff note
    task = store.create(prompt="x", now=NOW)
    running = store.claim(task, session=session(1), now=NOW)
    store.set_handoff_note(task.task_id, "halfway", now=NOW)
    # When it is suspended until later
    later = NOW + timedelta(hours=1)
    suspended = store.transition(task.task_id, S.SUSPENDED, now=NOW, ready_at=later)
    # Then each status change counted one version, the note stayed, and it is runnable again later
    assert (task.version, running.version, suspended.version) == (0, 1, 2)
    assert suspended.handoff_note == "halfway"
    assert suspended.ready_at == "2026-05-12T23:00:00Z"
    assert store.runnable(NOW) == []
    assert [t.task_id for t in store.runnable(later)] == [task.task_id]
