"""The local cloud's event loop: the synthesized app in moto on a simulated clock.

Events (task arrivals, operator answers, schedule firings, alarm evaluations) are processed in time
order. After each one the loop waits until every Step Functions execution has finished or is
blocked on the simulated clock, then moves the clock to the next event or wake-up.
"""

from __future__ import annotations

import heapq
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
from jada.clock import iso
from jada.telemetry import M

from jada_tools.local import stepfunctions as sfn_view
from jada_tools.local.alarms import ALARM, INSUFFICIENT, OK, AlarmState, notification
from jada_tools.local.intrinsics import ACCOUNT
from jada_tools.local.mailbox import Mailbox
from jada_tools.local.metrics import MetricStore
from jada_tools.local.provision import Deployment, Schedule
from jada_tools.local.scenario import Scenario
from jada_tools.local.simclock import SimClock

#: same-time events run in this order: scenario controls, arrivals and answers first, alarms last
CONTROL, ARRIVAL, ANSWER, SCHEDULE, ALARMS = range(5)
ALARM_EVERY = timedelta(minutes=1)
#: real seconds without any progress after which a run is declared stuck (offline stand-ins)
STALL_TIMEOUT_S = 120.0
SYNC_METRICS = {
    M.SYNC_OK: "ok",
    M.SYNC_TOKEN_ERROR: "token_error",
    M.SYNC_TRANSIENT_ERROR: "transient_error",
    M.SYNC_CONFIG_ERROR: "config_error",
    M.SYNC_NOT_CONFIGURED: "not_configured",
}

#: what the timeline says when a poll held runnable tasks back
POLL_STOPS = {
    "quota": "the day's session quota is used up: runnable tasks wait for 00:00 UTC",
    "cap": "the concurrency cap is reached: runnable tasks wait for a free slot",
    "paused": "the Anthropic spend limit is reached: no sessions start until it resets",
}


class LocalCloudError(RuntimeError):
    """The local run cannot go on (an execution hangs, a handler is missing, ...)."""


@dataclass
class Entry:
    at: datetime
    kind: str
    text: str


@dataclass
class RunState:
    timeline: list[Entry] = field(default_factory=list)
    syncs: list[dict[str, Any]] = field(default_factory=list)
    task_ids: dict[str, str] = field(default_factory=dict)
    seen_executions: dict[str, str] = field(default_factory=dict)
    executions: dict[str, sfn_view.ExecutionView] = field(default_factory=dict)
    last_poll_stop: str | None = None


class EventLoop:
    def __init__(
        self,
        scenario: Scenario,
        *,
        deployment: Deployment,
        clock: SimClock,
        metrics: MetricStore,
        runtime: Any,
        google: Any = None,
        stall_timeout: float = STALL_TIMEOUT_S,
    ) -> None:
        self.stall_timeout = stall_timeout
        self.scenario = scenario
        self.dep = deployment
        self.clock = clock
        self.metrics = metrics
        self.runtime = runtime
        self.google = google
        self.mailbox = Mailbox(deployment.region)
        self.alarms = [AlarmState.from_properties(a.properties) for a in deployment.alarms]
        self.state = RunState()
        self._heap: list[tuple[datetime, int, int, Any]] = []
        self._seq = itertools.count()
        self._lambda = boto3.client("lambda", region_name=deployment.region)
        self._sns = boto3.client("sns", region_name=deployment.region)
        self._sqs = boto3.client("sqs", region_name=deployment.region)
        self._queue_urls: dict[str, str] = {}

    # --- the loop -------------------------------------------------------------------------------
    def run(self) -> RunState:
        s = self.scenario
        for task in s.tasks:
            self._push(task.at, ARRIVAL, task)
        for answer in s.answers:
            self._push(answer.at, ANSWER, answer)
        for schedule in self.dep.schedules:
            if schedule.enabled:
                self._push(s.start, SCHEDULE, schedule)
        if self.alarms:
            self._push(s.start + ALARM_EVERY, ALARMS, None)
        if self.google is not None and s.sheet_sync is not None and s.sheet_sync.stop_at is not None:
            self._push(s.sheet_sync.stop_at, CONTROL, self._stop_google)
        while True:
            self._settle()
            wake = self.clock.next_wake()
            next_event = self._heap[0][0] if self._heap else None
            candidates = [t for t in (wake, next_event) if t is not None]
            if not candidates or min(candidates) > s.end:
                break
            moment = min(candidates)
            self.clock.advance_to(moment)
            if wake is not None and wake <= moment:
                self.clock.release_due()
                continue
            _, order, _, payload = heapq.heappop(self._heap)
            self._handle(order, payload)
        self.clock.advance_to(s.end)
        self._settle()
        return self.state

    def stop_running(self) -> None:
        """Stop executions still running at the end of the window, and let their threads exit."""
        sfn = boto3.client("stepfunctions", region_name=self.dep.region)
        for execution in sfn_view.executions(self.dep.region):
            v = sfn_view.view(execution)
            if v.status == "RUNNING":
                sfn.stop_execution(
                    executionArn=v.arn, error="LocalRunEnded", cause="the scenario window ended"
                )
        self.clock.release_all()
        deadline = time.monotonic() + 10
        while sfn_view.running_count(self.dep.region) and time.monotonic() < deadline:
            self.clock.release_all()
            self.clock.wait_for_change(0.01)

    def _push(self, at: datetime, order: int, payload: Any) -> None:
        heapq.heappush(self._heap, (at, order, next(self._seq), payload))

    def _handle(self, order: int, payload: Any) -> None:
        now = self.clock.now
        if order == CONTROL:
            payload()
        elif order == ARRIVAL:
            self._arrive(payload)
        elif order == ANSWER:
            self._answer(payload)
        elif order == SCHEDULE:
            self._fire(payload)
            self._push(now + timedelta(seconds=payload.every_seconds), SCHEDULE, payload)
        else:
            self._evaluate_alarms()
            self._push(now + ALARM_EVERY, ALARMS, None)

    def _settle(self) -> None:
        """Wait (real time) until every execution has finished or sleeps on the simulated clock."""
        region = self.dep.region
        progress, deadline = None, 0.0
        while (running := sfn_view.running_count(region)) > self.clock.blocked:
            now = time.monotonic()
            mark = (running, self.clock.blocked, len(self.runtime.invocations))
            if mark != progress:
                progress, deadline = mark, now + self.stall_timeout
            elif now > deadline:
                raise LocalCloudError(
                    f"Step Functions executions made no progress for {self.stall_timeout:.0f} s "
                    f"(real time) at {iso(self.clock.now)}"
                )
            self.clock.wait_for_change()
        self._observe_executions()
        for email in self.mailbox.collect(self.clock.now):
            self._log("email", f"to {email.to}: {email.subject}")

    def _log(self, kind: str, text: str, at: datetime | None = None) -> None:
        self.state.timeline.append(Entry(at or self.clock.now, kind, text))

    def _stop_google(self) -> None:
        self.google.token_mode = "drop"  # noqa: S105 - a fake's mode, not a secret
        self._log("google", "the Google token endpoint stops answering (scenario sheet_sync.stop_at)")

    # --- tasks and answers ----------------------------------------------------------------------
    def _tasks_table(self) -> str | None:
        for fn in self.dep.functions.values():
            if fn.environment.get("TASKS_TABLE"):
                return fn.environment["TASKS_TABLE"]
        return _first(self.dep.tables, "Tasks")

    def has_tasks_table(self) -> bool:
        return self._tasks_table() is not None

    def _tasks(self) -> Any:
        from jada.stores.tasks import TaskStore

        name = self._tasks_table()
        if not name:
            raise LocalCloudError("the template has no tasks table")
        return TaskStore(name)

    def _arrive(self, task: Any) -> None:
        from jada.orchestration import operator

        created = operator.add(
            self._tasks(), task.prompt, self.clock.now, title=task.title, priority=task.priority
        )
        self.state.task_ids.setdefault(task.title, created.task_id)
        self._log("task", f"queued '{task.title}' ({created.task_id})")

    def _answer(self, answer: Any) -> None:
        from jada.errors import JadaError
        from jada.orchestration import operator

        task_id = self.state.task_ids.get(answer.title)
        if task_id is None:
            self._log("answer", f"answer for '{answer.title}' not applied: the task is not queued yet")
            return
        try:
            operator.unblock(self._tasks(), task_id, answer.answer, self.clock.now)
        except JadaError as exc:
            self._log("answer", f"answer for '{answer.title}' not applied: {exc}")
            return
        self._log("answer", f"operator answered '{answer.title}': {answer.answer}")

    # --- schedules --------------------------------------------------------------------------
    def _fire(self, schedule: Schedule) -> None:
        now = self.clock.now
        fn = self.dep.function_by_arn(schedule.target_arn)
        if fn is None:
            self._log("schedule", f"{schedule.name}: target {schedule.target_arn} is not a function here")
            return
        payload = fill_context(schedule, now)
        before = len(self.runtime.invocations)
        response = self._lambda.invoke(FunctionName=fn.name, Payload=payload.encode())
        body = response["Payload"].read()
        result = _json(body)
        error = response.get("FunctionError")
        calls = [c for c in self.runtime.invocations[before:] if c.function_name == fn.name]
        stdout = calls[-1].stdout if calls else ""
        folder = fn.folder.name if fn.folder else fn.name
        if error:
            self._log("error", f"{folder} failed: {result.get('errorType')}: {result.get('errorMessage')}")
        if folder == "poll":
            self._after_poll(result if isinstance(result, dict) else {})
        elif folder == "sheet_sync":
            self._after_sync(result if isinstance(result, dict) else {}, stdout, error)

    def _after_poll(self, result: dict[str, Any]) -> None:
        stop = result.get("stopped_by")
        if stop and stop != self.state.last_poll_stop:
            self._log("poll", POLL_STOPS.get(stop, f"runnable tasks held back: {stop}"))
        self.state.last_poll_stop = stop

    def _after_sync(self, result: dict[str, Any], stdout: str, error: str | None) -> None:
        outcome = result.get("outcome")
        if outcome is None:
            seen = [o for m, o in SYNC_METRICS.items() if f'"{m}"' in stdout]
            outcome = seen[0] if seen else ("error" if error else "unknown")
        rows = result.get("rows")
        if rows is None:
            rows = self.sheet_rows()
        entry = {"at": iso(self.clock.now), "outcome": outcome, "rows": rows}
        for key in ("reason", "error_code", "written", "tombstoned", "suspicious"):
            if key in result:
                entry[key] = result[key]
        self.state.syncs.append(entry)
        self._log("sync", f"sheet sync: {outcome}" + (f", {rows} rows" if rows is not None else ""))

    def sheet_rows(self) -> int | None:
        """Live (not tombstoned) rows in the sheet mirror."""
        from jada.sheets.store import SheetStore

        fn = self.dep.function_by_folder("sheet_sync")
        table = fn.environment.get("SHEET_TABLE") if fn else None
        return len(SheetStore(table).rows()) if table else None

    # --- executions -------------------------------------------------------------------------
    def _observe_executions(self) -> None:
        for execution in sfn_view.executions(self.dep.region):
            v = sfn_view.view(execution)
            before = self.state.seen_executions.get(v.arn)
            if before == v.status:
                continue
            self.state.seen_executions[v.arn] = v.status
            self.state.executions[v.arn] = v
            dims = {"StateMachineArn": v.state_machine_arn}
            if before is None:
                self.metrics.put("AWS/States", "ExecutionsStarted", dims, v.started or self.clock.now, 1)
                self._log("start", f"started {v.name}", v.started)
            if v.status == "RUNNING":
                continue
            at = v.stopped or self.clock.now
            native = {"SUCCEEDED": "ExecutionsSucceeded", "FAILED": "ExecutionsFailed",
                      "TIMED_OUT": "ExecutionsTimedOut", "ABORTED": "ExecutionsAborted"}  # fmt: skip
            for status, name in native.items():
                self.metrics.put("AWS/States", name, dims, at, 1 if v.status == status else 0)
            self._log("session", self._describe_end(v), at)

    def _describe_end(self, v: sfn_view.ExecutionView) -> str:
        task_id = str(v.input.get("task_id", ""))
        number = str(v.input.get("session", ""))
        if v.status != "SUCCEEDED":
            return f"ended {v.name}: execution {v.status.lower()} ({v.error or 'no error name'})"
        try:
            task = self._tasks().get(task_id)
        except Exception:
            return f"ended {v.name}"
        record = task.sessions.get(number)
        outcome = record.outcome.value if record and record.outcome else "?"
        turns = record.turns if record else "?"
        return f"'{task.title}' session {number}: {outcome} after {turns} turns, task {task.status.value}"

    # --- alarms -----------------------------------------------------------------------------
    def _evaluate_alarms(self) -> None:
        now = self.clock.now
        self._sample_queues(now)
        for alarm in self.alarms:
            change = alarm.evaluate(self.metrics, now)
            if change is None:
                continue
            if change.old != INSUFFICIENT:  # the first evaluations after deploy are not news
                self._log("alarm", f"{alarm.name}: {change.old} -> {change.new}")
            if change.new == ALARM:
                actions = alarm.alarm_actions
            elif change.new == OK and change.old != INSUFFICIENT:
                actions = alarm.ok_actions
            else:
                actions = []
            subject, body = notification(change, self.dep.region, ACCOUNT)
            message = body
            for arn in actions:
                if ":sns:" in arn:
                    self._sns.publish(TopicArn=arn, Subject=subject[:100], Message=message)
        for email in self.mailbox.collect(now):
            self._log("email", f"to {email.to}: {email.subject}")

    def _sample_queues(self, now: datetime) -> None:
        """AWS/SQS ApproximateNumberOfMessagesVisible for the queues alarms watch (CloudWatch samples it)."""
        for alarm in self.alarms:
            q = alarm.query
            name = dict(q.dimensions).get("QueueName")
            if (q.namespace, q.name) != ("AWS/SQS", "ApproximateNumberOfMessagesVisible") or not name:
                continue
            if name not in self._queue_urls:
                self._queue_urls[name] = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attrs = self._sqs.get_queue_attributes(
                QueueUrl=self._queue_urls[name], AttributeNames=["ApproximateNumberOfMessages"]
            )
            count = float(attrs["Attributes"]["ApproximateNumberOfMessages"])
            self.metrics.put("AWS/SQS", q.name, dict(q.dimensions), now - timedelta(seconds=1), count)


def fill_context(schedule: Schedule, now: datetime) -> str:
    """The schedule's input with EventBridge Scheduler's context attributes filled in."""
    text = schedule.input_template or "{}"
    values = {
        "<aws.scheduler.scheduled-time>": iso(now),
        "<aws.scheduler.schedule-arn>": f"arn:aws:scheduler:local:{ACCOUNT}:schedule/default/{schedule.name}",
        "<aws.scheduler.execution-id>": f"{schedule.name}-{int(now.timestamp())}",
        "<aws.scheduler.attempt-number>": "1",
    }
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None


def _first(mapping: dict[str, str], fragment: str) -> str | None:
    return next((v for k, v in mapping.items() if fragment in k), None)
