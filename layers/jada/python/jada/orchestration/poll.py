"""The poll: start one Step Functions execution per runnable task, within the quota and the cap.

Per task: take a concurrency slot (keyed by the execution name), take a session from the UTC
day's quota, claim the task (conditional write), start the execution `<task-id>-s<n>`.
A failed start gives everything back. Every step is safe to repeat after a crash: a slot the
execution already holds does not skip the task (the claim decides), and a claim whose response was
lost is recognised on the task by this poll's token.
When nothing is runnable the poll costs exactly one DynamoDB Query.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from jada import aws
from jada.clock import iso
from jada.errors import IllegalTransition, QuotaExhausted, TaskNotFound
from jada.lifecycle import TaskStatus
from jada.models import SessionRecord, Task
from jada.orchestration.budget import pause_in_force
from jada.settings import Settings
from jada.stores.counters import BUDGET, CounterStore
from jada.stores.tasks import TaskStore
from jada.telemetry import M, logger


@dataclass
class PollResult:
    runnable: int = 0
    started: list[str] = field(default_factory=list)
    #: executions whose start found the name already taken (started before: not a second session)
    already_started: list[str] = field(default_factory=list)
    #: "quota", "cap", "paused" (the Anthropic spend limit) or "budget" (the monthly budget) when
    #: the poll stopped early; tasks left stay queued
    stopped_by: str | None = None

    def metrics(self) -> dict[str, float]:
        """The heartbeat on every run; the rest only when it says something (see telemetry.emit)."""
        values: dict[str, float] = {M.POLL_HEARTBEAT: 1}
        if self.started:
            values[M.SESSIONS_STARTED] = len(self.started)
        if self.stopped_by == "quota":
            values[M.QUOTA_EXHAUSTED] = 1
        if self.stopped_by == "cap":
            values[M.CONCURRENCY_CAPPED] = 1
        return values


def execution_input(task_id: str, session: int, execution: str) -> dict[str, Any]:
    """The state machine's input (docs/architecture.md): ids and counters only."""
    return {"task_id": task_id, "session": session, "execution": execution, "turns": 0}


@dataclass
class Poller:
    tasks: TaskStore
    counters: CounterStore
    sfn: Any
    state_machine_arn: str
    settings: Settings
    #: this poll's claims carry it: a claim found on the task with it is this poll's
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def run(self, now: datetime, candidates: list[Task] | None = None) -> PollResult:
        """Start sessions for `candidates` (the runnable tasks; read now when not given)."""
        result = PollResult()
        candidates = self.tasks.runnable(now) if candidates is None else candidates
        result.runnable = len(candidates)
        pause = pause_in_force(self.counters, self.settings, now) if candidates else None  # idle: one Query
        if pause is not None:
            result.stopped_by = "budget" if pause.kind == BUDGET else "paused"
            logger().warning("poll starts no session: %s", pause.describe())
            return result
        for task in candidates:
            try:
                self._start_one(task, now, result)
            except QuotaExhausted as exc:
                result.stopped_by = "quota" if "day" in exc.details else "cap"
                logger().info("poll stopped: %s", exc.message)
                break
        return result

    def _start_one(self, task: Task, now: datetime, result: PollResult) -> None:
        number = task.session_count + 1
        execution = task.execution_name(number)
        stale_after = timedelta(seconds=self.settings.session_timeout_seconds)
        # the slot is keyed by the execution name; held already: a racing poll, or a poll that
        # crashed before its claim (then nobody else would ever start it): the claim decides
        taken = self.counters.take_slot(execution, now, self.settings.max_concurrent_sessions, stale_after)
        try:
            self.counters.take_session(now, self.settings.sessions_per_day)
        except QuotaExhausted:
            if taken:  # a slot held before is not this poll's to give back
                self.counters.release_slot(execution)
            raise
        record = SessionRecord(number=number, execution=execution, started_at=iso(now), claimed_by=self.token)
        if not self._claim(task, record, now):
            return
        try:
            self.sfn.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=execution,
                input=json.dumps(execution_input(task.task_id, number, execution)),
            )
        except Exception as exc:
            if (
                isinstance(exc, ClientError)
                and exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists"
            ):
                result.already_started.append(execution)
                return
            if aws.transient_failure(exc) is not None and self._started(execution):
                # the request was served and its answer lost: the session runs, keep the claim
                logger().warning("start of %s answered late (%s); it runs", execution, type(exc).__name__)
                result.started.append(execution)
                return
            # likely systemic (permissions, a wrong ARN): give back, then fail loudly (no heartbeat)
            self._give_back(task, number, now)
            logger().exception("could not start %s; quota, slot and claim given back", execution)
            raise
        result.started.append(execution)
        logger().info("started %s", execution, extra={"task_id": task.task_id})

    def _started(self, execution: str) -> bool:
        """Whether the execution exists (a StartExecution whose answer was lost may have run)."""
        arn = self.state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{execution}"
        try:
            self.sfn.describe_execution(executionArn=arn)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ExecutionDoesNotExist":
                logger().warning("cannot tell whether %s started: %s", execution, exc)
            return False
        except Exception:  # still unreachable: treat as not started (given back, the next poll retries)
            return False
        return True

    def _claim(self, task: Task, record: SessionRecord, now: datetime) -> bool:
        """Claim the task for `record`; False (its session given back) when it is not ours.
        A claim whose response was lost (or that the SDK sent again) is found on the task."""
        try:
            self.tasks.claim(task, session=record, now=now)
            return True
        except (IllegalTransition, TaskNotFound):
            pass
        except Exception:
            if self._claimed(task, record) is not True:
                raise
            return True
        claimed = self._claimed(task, record)
        if claimed is True:
            return True
        # cancelled meanwhile, or a racing poll claimed it (and holds the slot): give back
        self.counters.give_back_session(now)
        if claimed is None:
            self.counters.release_slot(record.execution)
        return False

    def _claimed(self, task: Task, record: SessionRecord) -> bool | None:
        """True: the task holds this very claim; False: another claim of that session; None: none."""
        try:
            current = self.tasks.get(task.task_id)
        except TaskNotFound:
            return None
        held = current.sessions.get(str(record.number))
        if held is None or current.status is not TaskStatus.RUNNING:
            return None
        return held.claimed_by == record.claimed_by

    def _give_back(self, task: Task, number: int, now: datetime) -> None:
        self.tasks.release_claim(task, session_number=number, now=now)
        self.counters.give_back_session(now)
        self.counters.release_slot(task.execution_name(number))


def poll(
    now: datetime,
    *,
    candidates: list[Task] | None = None,
    tasks: TaskStore,
    counters: CounterStore,
    sfn: Any,
    state_machine_arn: str,
    settings: Settings,
) -> PollResult:
    return Poller(tasks, counters, sfn, state_machine_arn, settings).run(now, candidates)
