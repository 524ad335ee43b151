"""The poll against moto: quota, claims, idempotent starts, the concurrency cap, idle cost."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from jada.clock import utc_day
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.orchestration.poll import Poller, PollResult, poll
from jada.orchestration.session_end import SessionEndEvent, end_session
from jada.settings import Settings
from jada.stores.counters import CounterStore
from jada.stores.tasks import TaskStore

from tests.conftest import NOW, Cloud
from tests.functional.orchestration.conftest import Counted, settings


def run_poll(
    cloud: Cloud, arn: str, now: datetime, s: Settings, clients: Counted | None = None
) -> PollResult:
    c = clients or Counted()
    return poll(
        now, tasks=c.tasks(cloud), counters=c.counters(cloud), sfn=c.sfn(), state_machine_arn=arn, settings=s
    )


def executions(arn: str) -> list[dict[str, Any]]:
    return boto3.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]


def add_tasks(cloud: Cloud, count: int, now: datetime = NOW, **kwargs: Any) -> list[str]:
    store = cloud.tasks()
    # created a second apart, oldest first, all before `now`
    return [
        store.create(prompt=f"task {i}", now=now - timedelta(seconds=count - i), **kwargs).task_id
        for i in range(count)
    ]


def test_idle_poll_makes_exactly_one_aws_request(cloud: Cloud, state_machine: str) -> None:
    # Given an empty queue
    clients = Counted()
    # When the poll runs
    result = run_poll(cloud, state_machine, NOW, settings(), clients)
    # Then it made one DynamoDB Query and nothing else (no quota read)
    assert clients.calls == ["dynamodb.Query"]
    assert result.started == []
    assert result.runnable == 0
    assert result.metrics() == {"PollHeartbeat": 1}  # the heartbeat only: zeros are not sent


def test_poll_starts_a_session_named_after_the_task(cloud: Cloud, state_machine: str) -> None:
    [task_id] = add_tasks(cloud, 1)
    clients = Counted()
    result = run_poll(cloud, state_machine, NOW, settings(), clients)

    assert result.started == [f"{task_id}-s1"]
    [execution] = executions(state_machine)
    assert execution["name"] == f"{task_id}-s1"
    described = boto3.client("stepfunctions").describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == {
        "task_id": task_id, "session": 1, "execution": f"{task_id}-s1", "turns": 0,
    }  # fmt: skip
    task = cloud.tasks().get(task_id)
    assert task.status is TaskStatus.RUNNING
    assert task.sessions["1"].execution == f"{task_id}-s1"
    assert cloud.counters().sessions_used(utc_day(NOW)) == 1
    assert list(cloud.counters().slot_holders(NOW)) == [f"{task_id}-s1"]
    # Query, spend-pause read (only when something is runnable), then slot read+write, quota
    # update, claim, start: the cost of one session start
    assert clients.calls == [
        "dynamodb.Query", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.PutItem",
        "dynamodb.UpdateItem", "dynamodb.UpdateItem", "sfn.StartExecution",
    ]  # fmt: skip


def test_ten_concurrent_polls_start_exactly_the_quota(
    cloud: Cloud, state_machine: str, atomic_moto: None
) -> None:
    # Given 20 pending tasks and a quota of 5 (cap out of the way)
    add_tasks(cloud, 20)
    s = settings(sessions_per_day=5, max_concurrent_sessions=20)
    results: list[PollResult] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(10)

    def one() -> None:
        clients = Counted()  # own clients per thread, as separate Lambdas would have
        barrier.wait()
        try:
            results.append(run_poll(cloud, state_machine, NOW, s, clients))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Then exactly 5 executions exist, each for a different task, and the books agree
    assert errors == []
    names = [e["name"] for e in executions(state_machine)]
    assert len(names) == 5
    assert len({n.rsplit("-s", 1)[0] for n in names}) == 5
    assert sorted(n for r in results for n in r.started) == sorted(names)
    running = cloud.tasks().list_by_status(TaskStatus.RUNNING)
    assert sorted(f"{t.task_id}-s1" for t in running) == sorted(names)
    assert all(t.session_count == 1 for t in running)
    assert cloud.counters().sessions_used(utc_day(NOW)) == 5
    assert sorted(cloud.counters().slot_holders(NOW)) == sorted(names)
    assert len(cloud.tasks().list_by_status(TaskStatus.PENDING)) == 15


def test_quota_day_comes_from_the_scheduled_time(cloud: Cloud, state_machine: str) -> None:
    # Given a quota of 1 and three tasks
    add_tasks(cloud, 3, now=datetime(2026, 5, 12, 23, 0, tzinfo=UTC))
    s = settings(sessions_per_day=1)
    before = datetime(2026, 5, 12, 23, 59, tzinfo=UTC)
    # When polls run at 23:59 and 23:59:59 the same day
    first = run_poll(cloud, state_machine, before, s)
    second = run_poll(cloud, state_machine, before + timedelta(seconds=59), s)
    # Then only one session starts; the rest wait for the rollover
    assert len(first.started) == 1
    assert second.started == []
    assert second.stopped_by == "quota"
    assert second.metrics()["QuotaExhausted"] == 1
    # When the poll runs at 00:00 UTC the next day
    third = run_poll(cloud, state_machine, datetime(2026, 5, 13, 0, 0, tzinfo=UTC), s)
    # Then a new day's quota starts one more
    assert len(third.started) == 1
    counters = cloud.counters()
    assert counters.sessions_used(before.date()) == 1
    assert counters.sessions_used(datetime(2026, 5, 13, tzinfo=UTC).date()) == 1
    assert len(cloud.tasks().list_by_status(TaskStatus.PENDING)) == 1


def test_failed_start_gives_back_quota_slot_and_claim(cloud: Cloud) -> None:
    # Given a task and a state machine ARN that does not exist (the start fails)
    [task_id] = add_tasks(cloud, 1)
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:gone"
    # When the poll runs
    with pytest.raises(ClientError, match="StateMachineDoesNotExist"):
        run_poll(cloud, missing, NOW, settings())
    # Then the poll fails loudly, and nothing is held: the task is pending again with no session,
    # quota and slot are free
    task = cloud.tasks().get(task_id)
    assert task.status is TaskStatus.PENDING
    assert task.sessions == {}
    assert cloud.tasks().runnable(NOW)[0].task_id == task_id
    assert cloud.counters().sessions_used(utc_day(NOW)) == 0
    assert cloud.counters().slot_holders(NOW) == {}


def test_an_existing_execution_name_is_not_a_second_session(cloud: Cloud, state_machine: str) -> None:
    # Given an execution <id>-s1 that already started (e.g. a start whose reply was lost)
    [task_id] = add_tasks(cloud, 1)
    boto3.client("stepfunctions").start_execution(
        stateMachineArn=state_machine, name=f"{task_id}-s1", input="{}"
    )
    # When the poll starts the task
    result = run_poll(cloud, state_machine, NOW, settings())
    # Then it counts it as started before, keeps the claim, and no second execution exists
    assert result.started == []
    assert result.already_started == [f"{task_id}-s1"]
    assert len(executions(state_machine)) == 1
    assert cloud.tasks().get(task_id).status is TaskStatus.RUNNING
    assert cloud.counters().sessions_used(utc_day(NOW)) == 1


def test_higher_priority_first_then_oldest(cloud: Cloud, state_machine: str) -> None:
    store = cloud.tasks()
    old = store.create(prompt="old", now=NOW).task_id
    store.create(prompt="newer", now=NOW + timedelta(minutes=1))
    urgent = store.create(prompt="urgent", now=NOW + timedelta(minutes=2), priority=5).task_id
    result = run_poll(cloud, state_machine, NOW + timedelta(minutes=3), settings(sessions_per_day=2))
    assert result.started == [f"{urgent}-s1", f"{old}-s1"]


def test_suspended_task_waits_until_due(cloud: Cloud, state_machine: str) -> None:
    [task_id] = add_tasks(cloud, 1)
    store = cloud.tasks()
    run_poll(cloud, state_machine, NOW, settings())
    store.transition(task_id, TaskStatus.SUSPENDED, now=NOW, ready_at=NOW + timedelta(minutes=10))
    assert run_poll(cloud, state_machine, NOW + timedelta(minutes=5), settings()).runnable == 0
    later = run_poll(cloud, state_machine, NOW + timedelta(minutes=10), settings())
    assert later.started == [f"{task_id}-s2"]


def end(cloud: Cloud, execution: str, now: datetime, s: Settings) -> None:
    task_id, number = execution.rsplit("-s", 1)
    event = SessionEndEvent(
        task_id=task_id, session=int(number), execution=execution, turns=3, status="completed"
    )
    end_session(
        event, now, tasks=cloud.tasks(), counters=cloud.counters(), sns=None, topic_arn="", settings=s,
        checkpoints=cloud.checkpoints(),
    )  # fmt: skip


def test_concurrency_cap_limits_running_sessions(cloud: Cloud, state_machine: str) -> None:
    # Given 10 runnable tasks and a cap of 2
    add_tasks(cloud, 10)
    s = settings(sessions_per_day=100, max_concurrent_sessions=2)
    first = run_poll(cloud, state_machine, NOW, s)
    # Then 2 start and the poll stops on the cap
    assert len(first.started) == 2
    assert first.stopped_by == "cap"
    assert first.metrics()["ConcurrencyCapReached"] == 1
    # and a poll a minute later starts none while both run
    assert run_poll(cloud, state_machine, NOW + timedelta(minutes=1), s).started == []
    # When one session ends, the next poll starts exactly one more
    end(cloud, first.started[0], NOW + timedelta(minutes=2), s)
    third = run_poll(cloud, state_machine, NOW + timedelta(minutes=3), s)
    assert len(third.started) == 1
    assert len(cloud.tasks().list_by_status(TaskStatus.RUNNING)) == 2
    assert len(executions(state_machine)) == 3


def test_crashed_session_slot_is_reclaimed_after_the_timeout(cloud: Cloud, state_machine: str) -> None:
    # Given a cap of 1 held by a session that died without its end step
    add_tasks(cloud, 2)
    s = settings(sessions_per_day=100, max_concurrent_sessions=1, session_timeout_seconds=3600)
    assert len(run_poll(cloud, state_machine, NOW, s).started) == 1
    # Then the slot is held until the execution timeout
    assert run_poll(cloud, state_machine, NOW + timedelta(minutes=59), s).started == []
    # and reclaimed after it
    after = run_poll(cloud, state_machine, NOW + timedelta(minutes=61), s)
    assert len(after.started) == 1


def test_a_poll_with_a_stale_view_starts_nothing(cloud: Cloud, state_machine: str) -> None:
    # Given a poll that read the task as pending, but another poll started it first
    [task_id] = add_tasks(cloud, 1)
    stale_view = cloud.tasks().get(task_id)
    assert run_poll(cloud, state_machine, NOW, settings()).started == [f"{task_id}-s1"]
    # When the slower poll tries to start the same session
    result = PollResult()
    c = Counted()
    Poller(c.tasks(cloud), c.counters(cloud), c.sfn(), state_machine, settings())._start_one(
        stale_view, NOW, result
    )
    # Then its claim loses: it gives back the day session it took, keeps the winner's slot, starts
    # nothing (a held slot alone does not skip the task: a crashed poll may have left it)
    assert "sfn.StartExecution" not in c.calls
    assert result.started == []
    assert result.already_started == []
    assert cloud.counters().sessions_used(utc_day(NOW)) == 1
    assert list(cloud.counters().slot_holders(NOW)) == [f"{task_id}-s1"]
    assert len(executions(state_machine)) == 1


def test_a_claim_lost_to_a_cancel_gives_everything_back(cloud: Cloud, state_machine: str) -> None:
    # Given a poll that read the task as pending, then an operator cancelled it
    [task_id] = add_tasks(cloud, 1)
    stale_view = cloud.tasks().get(task_id)
    cloud.tasks().transition(task_id, TaskStatus.CANCELLED, now=NOW)
    result = PollResult()
    c = Counted()
    Poller(c.tasks(cloud), c.counters(cloud), c.sfn(), state_machine, settings())._start_one(
        stale_view, NOW, result
    )
    assert result.started == []
    assert cloud.counters().sessions_used(utc_day(NOW)) == 0
    assert cloud.counters().slot_holders(NOW) == {}
    assert executions(state_machine) == []


@pytest.mark.parametrize("outcome", [SessionOutcome.COMPLETED])
def test_session_end_frees_the_slot(cloud: Cloud, state_machine: str, outcome: SessionOutcome) -> None:
    [task_id] = add_tasks(cloud, 1)
    run_poll(cloud, state_machine, NOW, settings())
    end(cloud, f"{task_id}-s1", NOW, settings())
    assert CounterStore(cloud.counters_table).slot_holders(NOW) == {}
    assert TaskStore(cloud.tasks_table).get(task_id).status is TaskStatus.DONE
