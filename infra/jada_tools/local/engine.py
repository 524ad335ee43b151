"""The local cloud's discrete-event simulator: an emulated deployment on a simulated clock.

Events (the template's schedule firings, alarm evaluations every simulated minute, and whatever
the caller adds with `at`) are processed in time order. After each one the simulator settles:
it waits (real time) until every Step Functions execution has finished or sleeps on the
simulated clock; only then does it move the clock to the next event or wake-up.

The simulator knows AWS, not the app. What a run means is told by observers (`Observer`):
they are called on the simulator's thread, between events, and must not block.

    sim = Simulator(deployment, clock=clock, metrics=metrics, runtime=runtime)
    sim.observe(MyObserver())
    sim.start()                 # arm the schedules and the alarm cadence
    sim.run_until(end)          # or, open-ended: while True: sim.run_until(clock_target())

`at` may be called from another thread while `run_until` runs (e.g. a server taking requests).
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3
from jada.clock import iso

from jada_tools.local import stepfunctions as sfn_view
from jada_tools.local.alarms import AlarmEvaluator, AlarmState, StateChange
from jada_tools.local.intrinsics import ACCOUNT
from jada_tools.local.metrics import MetricStore
from jada_tools.local.moto_lambda import InProcessLambda
from jada_tools.local.provision import Deployment, LocalFunction, Schedule
from jada_tools.local.simclock import SimClock
from jada_tools.local.stepfunctions import ExecutionChange, ExecutionWatcher

#: same-time events run in this order: controls, then inputs, schedule firings, alarms last
CONTROL, INPUT, SCHEDULE, ALARMS = range(4)
ALARM_EVERY = timedelta(minutes=1)
#: real seconds without any progress after which a run is declared stuck (offline stand-ins)
STALL_TIMEOUT_S = 120.0


class LocalCloudError(RuntimeError):
    """The local run cannot go on (an execution hangs, a handler is missing, ...)."""


@dataclass(frozen=True)
class ScheduledCall:
    """One schedule firing: the function it invoked (None: the target is not a function here),
    the event sent, and what came back (`error` is Lambda's FunctionError, e.g. "Unhandled")."""

    at: datetime
    schedule: Schedule
    function: LocalFunction | None
    event: Any = None
    result: Any = None
    error: str | None = None


class Observer:
    """Watches a run. Override only the hooks you need; each is called on the simulator's thread
    with the clock at the moment in question.

    - `invoked(call)`: a schedule fired and its target returned.
    - `execution_changed(change)`: an execution was first seen or changed status (its own
      `started`/`stopped` times say when).
    - `alarm_changed(change)`: an alarm changed state (its notifications are published already).
    - `settled(now)`: every execution has finished or sleeps; nothing runs until the next event.
    """

    def invoked(self, call: ScheduledCall) -> None:
        return None

    def execution_changed(self, change: ExecutionChange) -> None:
        return None

    def alarm_changed(self, change: StateChange) -> None:
        return None

    def settled(self, now: datetime) -> None:
        return None


class Simulator:
    def __init__(
        self,
        deployment: Deployment,
        *,
        clock: SimClock,
        metrics: MetricStore,
        runtime: InProcessLambda,
        stall_timeout: float = STALL_TIMEOUT_S,
    ) -> None:
        self.deployment = deployment
        self.clock = clock
        self.metrics = metrics
        self.runtime = runtime
        self.stall_timeout = stall_timeout
        self.alarms = AlarmEvaluator(
            [AlarmState.from_properties(a.properties) for a in deployment.alarms],
            metrics,
            deployment.region,
            ACCOUNT,
        )
        self.executions = ExecutionWatcher(deployment.region, metrics)
        self.observers: list[Observer] = []
        self._heap: list[tuple[datetime, int, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._lambda = boto3.client("lambda", region_name=deployment.region)

    # --- set-up ---------------------------------------------------------------------------------
    def observe(self, observer: Observer) -> Observer:
        self.observers.append(observer)
        return observer

    def at(self, moment: datetime, action: Callable[[], None], order: int = INPUT) -> None:
        """Run `action` once the clock reaches `moment` (at once if it already has)."""
        with self._lock:
            heapq.heappush(self._heap, (moment, order, next(self._seq), action))

    def start(self) -> None:
        """Arm the enabled schedules (first firing now, as on deploy) and the alarm cadence."""
        now = self.clock.now
        for schedule in self.deployment.schedules:
            if schedule.enabled:
                self._every(now, timedelta(seconds=schedule.every_seconds), SCHEDULE, self._fire, schedule)
        if self.alarms.alarms:
            self._every(now + ALARM_EVERY, ALARM_EVERY, ALARMS, self._evaluate_alarms)

    def _every(self, first: datetime, interval: timedelta, order: int, action: Any, *args: Any) -> None:
        def fire() -> None:
            action(*args)
            self.at(self.clock.now + interval, fire, order)

        self.at(first, fire, order)

    # --- running --------------------------------------------------------------------------------
    def next_moment(self) -> datetime | None:
        """When something happens next: the earliest wake-up or event."""
        with self._lock:
            event = self._heap[0][0] if self._heap else None
        candidates = [t for t in (self.clock.next_wake(), event) if t is not None]
        return min(candidates, default=None)

    def step(self, until: datetime) -> bool:
        """Settle, then process the next wake-up or event if it is due by `until`. False: none was."""
        self.settle()
        moment = self.next_moment()
        if moment is None or moment > until:
            return False
        self.clock.advance_to(moment)
        wake = self.clock.next_wake()
        if wake is not None and wake <= moment:
            self.clock.release_due()
            return True
        with self._lock:
            _, _, _, action = heapq.heappop(self._heap)
        action()
        return True

    def run_until(self, moment: datetime) -> None:
        """Process everything due by `moment`, then leave the clock at `moment`, settled."""
        while self.step(moment):
            pass
        self.clock.advance_to(moment)
        self.settle()

    def settle(self) -> None:
        """Wait (real time) until every execution has finished or sleeps on the simulated clock."""
        region = self.deployment.region
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
        for change in self.executions.changes(self.clock.now):
            self._tell("execution_changed", change)
        self._tell("settled", self.clock.now)

    def stop_running(self, cause: str = "the scenario window ended") -> None:
        """Stop executions still running at the end of the window, and let their threads exit."""
        sfn_view.stop_running(self.deployment.region, cause)
        self.clock.release_all()
        deadline = time.monotonic() + 10
        while sfn_view.running_count(self.deployment.region) and time.monotonic() < deadline:
            self.clock.release_all()
            self.clock.wait_for_change(0.01)

    def _tell(self, hook: str, *args: Any) -> None:
        for observer in self.observers:
            getattr(observer, hook)(*args)

    # --- what AWS does on its own ---------------------------------------------------------------
    def _fire(self, schedule: Schedule) -> None:
        """EventBridge Scheduler invokes the schedule's target function with its input."""
        now = self.clock.now
        fn = self.deployment.function_by_arn(schedule.target_arn)
        if fn is None:
            self._tell("invoked", ScheduledCall(now, schedule, None))
            return
        payload = fill_context(schedule, now)
        response = self._lambda.invoke(FunctionName=fn.name, Payload=payload.encode())
        result = _json(response["Payload"].read())
        call = ScheduledCall(now, schedule, fn, _json(payload), result, response.get("FunctionError"))
        self._tell("invoked", call)

    def _evaluate_alarms(self) -> None:
        for change in self.alarms.evaluate(self.clock.now):
            self._tell("alarm_changed", change)


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


def _json(body: bytes | str) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None
