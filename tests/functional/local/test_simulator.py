"""The generic simulator on the small hand-written template, watched by a recording observer:
what observers are told and when, runs in steps (as an open-ended `serve` would drive it), and
events added while it runs."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jada.clock import iso
from jada_tools.local.alarms import StateChange
from jada_tools.local.emulator import emulate
from jada_tools.local.engine import CONTROL, Observer, ScheduledCall, Simulator
from jada_tools.local.metrics import MetricStore
from jada_tools.local.simclock import SimClock
from jada_tools.local.stepfunctions import ExecutionChange

from .template import template

START = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)


class Recorder(Observer):
    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self.lines: list[str] = []
        self.settles = 0

    def invoked(self, call: ScheduledCall) -> None:
        self.lines.append(f"{iso(self.clock.now)} invoked {call.function and call.function.logical_id}")

    def execution_changed(self, change: ExecutionChange) -> None:
        v = change.execution
        at = v.started if change.before is None else v.stopped
        self.lines.append(f"{iso(at)} {v.name} {change.before} -> {v.status}")

    def alarm_changed(self, change: StateChange) -> None:
        self.lines.append(f"{iso(change.at)} {change.alarm.name} {change.old} -> {change.new}")

    def settled(self, now: datetime) -> None:
        self.settles += 1


class Simulations:
    """One emulated deployment at a time (moto and the clock are process-wide)."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()

    def start(self) -> tuple[Simulator, Recorder]:
        """A started simulator on the template (every 10 minutes, a 5-minute Wait), and its recorder."""
        self.close()
        clock, metrics = SimClock(START), MetricStore()
        sink = lambda _fn, text: metrics.feed(text, clock.now)  # noqa: E731
        cloud = self._stack.enter_context(emulate(template("rate(10 minutes)", 300), clock=clock, sink=sink))
        sim = Simulator(cloud.deployment, clock=clock, metrics=metrics, runtime=cloud.runtime)
        self._stack.callback(sim.stop_running)
        recorder = Recorder(clock)
        sim.observe(recorder)
        sim.start()
        return sim, recorder

    def close(self) -> None:
        self._stack.close()


@pytest.fixture
def simulate() -> Iterator[Callable[[], tuple[Simulator, Recorder]]]:
    simulations = Simulations()
    yield simulations.start
    simulations.close()


def test_observers_hear_of_firings_executions_and_alarms_in_time_order(simulate: Any) -> None:
    # Given a schedule every 10 minutes whose executions wait 5 minutes before their work
    sim, recorder = simulate()
    # When the simulator runs 20 minutes
    sim.run_until(START + timedelta(minutes=20))
    # Then every firing, execution start and end, and alarm change was told, at its simulated time
    assert recorder.lines == [
        "2026-05-12T22:00:00Z invoked Starter",
        "2026-05-12T22:00:00Z run-20260512T220000Z None -> RUNNING",
        "2026-05-12T22:01:00Z work-seen INSUFFICIENT_DATA -> OK",
        "2026-05-12T22:05:00Z run-20260512T220000Z RUNNING -> SUCCEEDED",
        "2026-05-12T22:06:00Z work-seen OK -> ALARM",
        "2026-05-12T22:07:00Z work-seen ALARM -> OK",
        "2026-05-12T22:10:00Z invoked Starter",
        "2026-05-12T22:10:00Z run-20260512T221000Z None -> RUNNING",
        "2026-05-12T22:15:00Z run-20260512T221000Z RUNNING -> SUCCEEDED",
        "2026-05-12T22:16:00Z work-seen OK -> ALARM",
        "2026-05-12T22:17:00Z work-seen ALARM -> OK",
        "2026-05-12T22:20:00Z invoked Starter",
        "2026-05-12T22:20:00Z run-20260512T222000Z None -> RUNNING",
    ]
    assert sim.clock.now == START + timedelta(minutes=20)
    assert recorder.settles > len(recorder.lines)  # after every event and wake-up, and at the end


def test_running_in_steps_tells_the_same_story(simulate: Any) -> None:
    # Given one simulator run to 22:20 at once, and one driven there in uneven steps
    whole, told_whole = simulate()
    whole.run_until(START + timedelta(minutes=20))
    stepped, told_stepped = simulate()
    for minutes in (3, 5, 7.5, 12, 12, 20):
        stepped.run_until(START + timedelta(minutes=minutes))
        # Then the clock stops exactly where it was asked to, every time
        assert stepped.clock.now == START + timedelta(minutes=minutes)
    assert told_whole.lines
    assert told_stepped.lines == told_whole.lines


def test_an_event_added_while_running_happens_at_its_time_before_same_time_firings(simulate: Any) -> None:
    sim, recorder = simulate()
    sim.run_until(START + timedelta(minutes=7))
    seen: list[str] = []

    def operator_action() -> None:
        seen.append(iso(sim.clock.now))
        recorder.lines.append(f"{iso(sim.clock.now)} operator")

    # When an action is added for 22:10, when the schedule fires too, and one for a past moment
    sim.at(START + timedelta(minutes=10), operator_action, CONTROL)
    sim.at(START, lambda: seen.append(f"late at {iso(sim.clock.now)}"))
    sim.run_until(START + timedelta(minutes=10))
    # Then the past one runs at once (the clock never goes back); the other at 22:10, before the firing
    assert seen == ["late at 2026-05-12T22:07:00Z", "2026-05-12T22:10:00Z"]
    at_ten = [line for line in recorder.lines if line.startswith("2026-05-12T22:10:00Z")]
    assert at_ten[:2] == ["2026-05-12T22:10:00Z operator", "2026-05-12T22:10:00Z invoked Starter"]


def test_next_moment_says_when_an_open_ended_run_has_work(simulate: Any) -> None:
    sim, _ = simulate()
    sim.run_until(START + timedelta(minutes=2, seconds=30))
    assert sim.clock.now == START + timedelta(minutes=2, seconds=30)
    # the execution started at 22:00 sleeps until 22:05; alarms are evaluated every minute
    assert sim.next_moment() == START + timedelta(minutes=3)
