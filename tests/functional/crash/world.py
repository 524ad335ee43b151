"""The deployed app in moto for crash runs: reset between runs, the platform's next steps (the
schedules, the executions, the rule), and what the invariants read back."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.models import Task
from jada.sheets.store import SheetStore
from jada.stores.checkpoints import CheckpointStore
from jada.stores.counters import CounterStore
from jada.stores.tasks import TaskStore, child_task_id, task_of
from jada_tools.local.engine import fill_context
from jada_tools.local.intrinsics import ACCOUNT
from jada_tools.local.provision import Deployment, Schedule

from tests.functional.crash.faults import Injector, Point
from tests.functional.crash.model import ScriptedModel
from tests.functional.crash.platform import (
    Clock,
    EndedRule,
    Execution,
    Functions,
    Outcome,
    StateMachine,
    status_change,
)

START = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)
BLOCKED_SUBJECT = "jada: task blocked"


class Unsettled(AssertionError):
    """The platform's own steps did not bring the run to rest (something is stuck)."""


@dataclass
class Snapshot:
    """The emulated cloud's state at one moment, to start many runs from."""

    now: datetime
    env: dict[str, str]
    tables: dict[str, Any]
    objects: dict[str, dict[str, bytes]]
    executions: dict[str, str]
    driven: dict[str, Execution]


@dataclass
class World:
    deployment: Deployment
    functions: Functions
    injector: Injector
    model: ScriptedModel
    clock: Clock
    machine: StateMachine
    machine_arn: str
    rule: EndedRule
    base_env: dict[str, str]
    executions: dict[str, Execution] = field(default_factory=dict)
    #: problems seen while the platform ran (e.g. two executions of one task at once)
    problems: list[str] = field(default_factory=list)

    # --- resources ------------------------------------------------------------------------------
    def env(self, folder: str) -> dict[str, str]:
        return self.functions.function(folder).environment

    def tasks(self) -> TaskStore:
        return TaskStore(self.env("session_end")["TASKS_TABLE"])

    def counters(self) -> CounterStore:
        return CounterStore(self.env("session_end")["COUNTERS_TABLE"])

    def checkpoints(self) -> CheckpointStore:
        env = self.env("turn_batch")
        return CheckpointStore(env["CHECKPOINTS_TABLE"], env["CHECKPOINT_BUCKET"])

    def sheet(self) -> SheetStore:
        return SheetStore(self.env("sheet_sync")["SHEET_TABLE"])

    def schedule(self, folder: str) -> Schedule:
        arn = self.functions.function(folder).arn
        [schedule] = [s for s in self.deployment.schedules if s.target_arn == arn]
        return schedule

    # --- between runs ---------------------------------------------------------------------------
    def reset(self, env: dict[str, str] | None = None, start: datetime = START) -> None:
        """Empty every table, bucket and mailbox; settings from `env` on every function."""
        for table in _dynamodb().tables.values():
            table.items.clear()  # moto's own store (pinned moto): much faster than deletes
        s3 = boto3.client("s3")
        for bucket in s3.list_buckets()["Buckets"]:
            for obj in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
                s3.delete_object(Bucket=bucket["Name"], Key=obj["Key"])
        for topic in _sns().topics.values():
            topic.sent_notifications.clear()
        self.functions.extra_env = {**self.base_env, **(env or {})}
        self.functions.outcomes.clear()
        self.functions.warm_start()  # every run starts from the same containers
        self.functions.target = None
        self.clock.set(start)
        self.executions.clear()
        self.problems.clear()
        self.injector.plan(None)

    def snapshot(self) -> Snapshot:
        s3 = boto3.client("s3")
        objects = {
            bucket["Name"]: {
                obj["Key"]: s3.get_object(Bucket=bucket["Name"], Key=obj["Key"])["Body"].read()
                for obj in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
            }
            for bucket in s3.list_buckets()["Buckets"]
        }
        return Snapshot(
            now=self.clock.now,
            env=dict(self.functions.extra_env),
            tables={name: copy.deepcopy(t.items) for name, t in _dynamodb().tables.items()},
            objects=objects,
            executions={e.name: e.status for e in _stepfunctions().executions_of(self.machine_arn)},
            driven=dict(self.executions),
        )

    def restore(self, snap: Snapshot) -> None:
        """Back to `snap` (warm containers, a clean mailbox, no crash planned)."""
        for name, table in _dynamodb().tables.items():
            table.items = copy.deepcopy(snap.tables[name])
        s3 = boto3.client("s3")
        for bucket in s3.list_buckets()["Buckets"]:
            name = bucket["Name"]
            kept = snap.objects.get(name, {})
            for obj in s3.list_objects_v2(Bucket=name).get("Contents", []):
                if obj["Key"] not in kept:
                    s3.delete_object(Bucket=name, Key=obj["Key"])
            for key, body in kept.items():
                s3.put_object(Bucket=name, Key=key, Body=body)
        _stepfunctions().restore(self.machine_arn, snap.executions)
        for topic in _sns().topics.values():
            topic.sent_notifications.clear()
        self.functions.extra_env = dict(snap.env)
        self.functions.outcomes.clear()
        self.functions.warm_start()
        self.functions.target = None
        self.clock.set(snap.now)
        self.executions = dict(snap.driven)
        self.problems.clear()
        self.injector.plan(None)

    def crash(self, folder: str, point: Point | None, invocations: int | None = None) -> None:
        """From now on, count the external calls of `folder` (of its first `invocations`
        invocations; None: all) and crash at `point`."""
        self.functions.target = folder
        self.functions.armed_invocations = invocations
        self.injector.plan(point)

    # --- what the platform runs -----------------------------------------------------------------
    def scheduled(self, folder: str) -> list[Outcome]:
        """The function's schedule fires now (an asynchronous invocation, retried by Lambda)."""
        event = json.loads(fill_context(self.schedule(folder), self.clock.now))
        return self.functions.async_invoke(folder, event, self.clock)

    def tick(self, folder: str = "poll") -> list[Outcome]:
        """One period of the function's schedule later, it fires."""
        self.clock.advance(self.schedule(folder).every_seconds)
        return self.scheduled(folder)

    def run_executions(self) -> list[Execution]:
        """Run every execution started since (one at a time, to its end), then the rule's target
        for those that failed or timed out."""
        sfn = boto3.client("stepfunctions")
        listed = sfn.list_executions(stateMachineArn=self.machine_arn, statusFilter="RUNNING")["executions"]
        started = [e for e in listed if e["name"] not in self.executions]
        per_task = Counter(e["name"].rsplit("-s", 1)[0] for e in started)
        self.problems += [f"two executions of task {t} at once" for t, n in per_task.items() if n > 1]
        ran = []
        for listed_execution in sorted(started, key=lambda e: e["startDate"]):
            arn = listed_execution["executionArn"]
            given = json.loads(sfn.describe_execution(executionArn=arn)["input"])
            execution = self.machine.run(listed_execution["name"], given)
            self.executions[execution.name] = execution
            sfn.stop_execution(executionArn=arn)  # ended (moto's record; our model ran it)
            if execution.status in self.rule.statuses:
                event = status_change(self.machine, execution)
                self.functions.async_invoke(self.rule.target_folder, event, self.clock)
            ran.append(execution)
        return ran

    def settle(self, done: Callable[[], bool], ticks: int = 12) -> None:
        """Run executions and polls (a minute apart) until `done()`."""
        for _ in range(ticks):
            self.run_executions()
            if done():
                return
            self.tick("poll")
        raise Unsettled(f"not settled after {ticks} polls: {self.describe()}")

    # --- reading back ---------------------------------------------------------------------------
    def all_tasks(self) -> list[Task]:
        items = self.tasks().table.scan(ConsistentRead=True)["Items"]
        return sorted((task_of(i) for i in items), key=lambda t: (t.created_at, t.title))

    def task(self, title: str) -> Task:
        [task] = [t for t in self.all_tasks() if t.title == title]
        return task

    def blocked_emails(self) -> Counter[str]:
        """Blocked-task emails sent, by task id."""
        sent: Counter[str] = Counter()
        for topic in _sns().topics.values():
            for _mid, _message, subject, attrs, _group in topic.sent_notifications:
                if (subject or "").startswith(BLOCKED_SUBJECT):
                    sent[str((attrs or {}).get("task_id", {}).get("Value", ""))] += 1
        return sent

    def describe(self) -> str:
        return "; ".join(f"{t.title}: {t.status}" for t in self.all_tasks())


def _dynamodb() -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[ACCOUNT]["us-east-1"]


class _StepFunctions:
    """moto's record of executions (pinned moto): read, and put back for a restore."""

    def __init__(self) -> None:
        from moto.stepfunctions.models import stepfunctions_backends

        self.backend = stepfunctions_backends[ACCOUNT]["us-east-1"]

    def _machine(self, arn: str) -> Any:
        return self.backend.describe_state_machine(arn)

    def executions_of(self, arn: str) -> list[Any]:
        return list(self._machine(arn).executions)

    def restore(self, arn: str, statuses: dict[str, str]) -> None:
        machine = self._machine(arn)
        machine.executions = [e for e in machine.executions if e.name in statuses]
        for execution in machine.executions:
            if statuses[execution.name] == "RUNNING":
                execution.status, execution.stop_date = "RUNNING", None


def _stepfunctions() -> _StepFunctions:
    return _StepFunctions()


def _sns() -> Any:
    from moto.sns.models import sns_backends

    return sns_backends[ACCOUNT]["us-east-1"]


# --- invariants -----------------------------------------------------------------------------------
def task_summary(world: World) -> list[tuple[Any, ...]]:
    """What a run leaves behind, comparable between runs (task ids are random: keyed by title)."""
    tasks = world.all_tasks()
    titles = {t.task_id: t.title for t in tasks}
    emails = world.blocked_emails()
    return sorted(
        (
            t.title,
            t.status.value,
            titles.get(t.parent_id or ""),
            sorted(titles.get(c, c) for c in t.children),
            t.summary,
            t.handoff_note,
            t.blocked_reason,
            tuple((r.number, r.outcome.value if r.outcome else None) for r in t.session_list()),
            min(emails[t.task_id], 1),  # a second blocked email is within bounds (checked apart)
        )
        for t in tasks
    )


def invariants(world: World, *, quota_leak: int = 0) -> list[str]:
    """Every invariant of a settled run (no execution running), as a list of violations."""
    problems = list(world.problems)
    tasks = world.all_tasks()
    by_id = {t.task_id: t for t in tasks}
    now = world.clock.now
    problems += _sessions(world, tasks)
    problems += _quota(world, tasks, quota_leak)
    holders = world.counters().slot_holders(now)
    if holders:
        problems.append(f"slots still held with no execution running: {sorted(holders)}")
    problems += _children(world, tasks, by_id)
    problems += _emails(world, tasks)
    problems += _checkpoints(world, tasks)
    return problems


def _sessions(world: World, tasks: list[Task]) -> list[str]:
    problems = []
    for task in tasks:
        executed = sorted(
            int(name.rsplit("-s", 1)[1])
            for name in world.executions
            if name.rsplit("-s", 1)[0] == task.task_id
        )
        recorded = sorted(int(n) for n in task.sessions)
        if executed != recorded:
            problems.append(f"{task.title}: sessions recorded {recorded}, executions run {executed}")
        if recorded != list(range(1, len(recorded) + 1)):
            problems.append(f"{task.title}: session numbers {recorded} are not 1..n")
        if task.status is TaskStatus.RUNNING:
            problems.append(f"{task.title}: left running after its executions ended")
        open_records = [r.number for r in task.session_list() if r.ended_at is None]
        if open_records:
            problems.append(f"{task.title}: sessions {open_records} never closed")
    return problems


def _quota(world: World, tasks: list[Task], leak: int) -> list[str]:
    started: Counter[str] = Counter(
        r.started_at[:10] for t in tasks for r in t.session_list() if r.execution in world.executions
    )
    ddb = world.counters().table
    problems = []
    for item in ddb.scan()["Items"]:
        pk = str(item["pk"])
        if not pk.startswith("sessions#"):
            continue
        day, used, limit = pk.removeprefix("sessions#"), int(item["used"]), int(item["day_limit"])
        if used > limit:
            problems.append(f"quota of {day}: {used} used, above its limit {limit}")
        if not 0 <= used - started[day] <= leak:
            problems.append(
                f"quota of {day}: {used} used for {started[day]} sessions started (leak allowed {leak})"
            )
    return problems


def _calls(world: World, task: Task, name: str) -> dict[str, bool]:
    """The tool calls named `name` in a task's stored conversation: tool_use id -> it succeeded."""
    calls: dict[str, bool] = {}
    for record in world.checkpoints().load_task(task.task_id):
        for message in record.messages:
            for block in message["content"] if isinstance(message["content"], list) else []:
                if block.get("type") == "tool_use" and block.get("name") == name:
                    calls[block["id"]] = False
                if block.get("type") == "tool_result" and block.get("tool_use_id") in calls:
                    calls[block["tool_use_id"]] = not block.get("is_error", False)
    return calls


def _children(world: World, tasks: list[Task], by_id: dict[str, Task]) -> list[str]:
    problems = []
    for task in tasks:
        if len(set(task.children)) != len(task.children):
            problems.append(f"{task.title}: a child linked twice: {task.children}")
        calls = _calls(world, task, "create_task")
        expected = {child_task_id(tool_use) for tool_use, ok in calls.items() if ok}
        actual = {t.task_id for t in tasks if t.parent_id == task.task_id}
        if actual != expected:
            problems.append(
                f"{task.title}: children {sorted(by_id[c].title for c in actual)} for "
                f"{len(expected)} create_task calls in its conversation"
            )
        if set(task.children) != actual:
            problems.append(f"{task.title}: children linked {task.children}, created {sorted(actual)}")
    return problems


def _emails(world: World, tasks: list[Task]) -> list[str]:
    sent = world.blocked_emails()
    problems = []
    for task in tasks:
        blocked = sum(1 for r in task.session_list() if r.outcome is SessionOutcome.BLOCKED)
        if not blocked <= sent[task.task_id] <= 2 * blocked:
            problems.append(
                f"{task.title}: {sent[task.task_id]} blocked emails for {blocked} blocked sessions"
            )
    return problems


def _checkpoints(world: World, tasks: list[Task]) -> list[str]:
    store, problems = world.checkpoints(), []
    for task in tasks:
        try:
            turns = store.load_task(task.task_id)
            for record in task.session_list():
                store.load_session(task.task_id, record.number, expected_turns=record.turns)
        except Exception as exc:
            problems.append(f"{task.title}: checkpoint does not load: {type(exc).__name__}: {exc}")
            continue
        counted = sum(r.usage.input_tokens for r in turns)
        if task.usage.input_tokens != counted:
            problems.append(
                f"{task.title}: usage counts {task.usage.input_tokens} input tokens, turns {counted}"
            )
    return problems
