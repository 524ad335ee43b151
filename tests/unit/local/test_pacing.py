"""Pacing an open-ended run: simulated time follows an injected real-time source at `speed`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from jada_tools.local.pacing import Pacer, drive

START = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)


class RealTime:
    """A real-time source the test moves by hand."""

    def __init__(self, at: float = 1000.0) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


class FakeSim:
    """Records what `drive` asks of the simulator; events fire when run_until passes them."""

    def __init__(self, events: list[datetime]) -> None:
        self.events = sorted(events)
        self.ran_to: list[datetime] = []
        self.fired: list[tuple[datetime, datetime]] = []  # (event, simulated moment it ran at)

    def run_until(self, moment: datetime) -> None:
        self.ran_to.append(moment)
        while self.events and self.events[0] <= moment:
            self.fired.append((self.events.pop(0), moment))

    def next_moment(self) -> datetime | None:
        return self.events[0] if self.events else None


def test_simulated_time_runs_speed_times_real_time() -> None:
    real = RealTime()
    pacer = Pacer(START, speed=60, real=real)
    assert pacer.now() == START
    real.at += 1.5
    assert pacer.now() == START + timedelta(seconds=90)
    real.at += 60
    assert pacer.now() == START + timedelta(minutes=61, seconds=30)


def test_a_slow_pacer_runs_slower_than_real_time() -> None:
    real = RealTime()
    pacer = Pacer(START, speed=0.5, real=real)
    real.at += 10
    assert pacer.now() == START + timedelta(seconds=5)


def test_real_seconds_until_a_moment_shrink_as_real_time_passes_and_stop_at_zero() -> None:
    real = RealTime()
    pacer = Pacer(START, speed=60, real=real)
    poll = START + timedelta(minutes=1)
    assert pacer.real_seconds_until(poll) == pytest.approx(1.0)
    real.at += 0.25
    assert pacer.real_seconds_until(poll) == pytest.approx(0.75)
    real.at += 5
    assert pacer.real_seconds_until(poll) == 0.0
    assert pacer.real_seconds_until(START) == 0.0


@pytest.mark.parametrize("speed", [0, -1, 0.0])
def test_speed_must_be_positive(speed: float) -> None:
    with pytest.raises(ValueError, match="speed must be more than 0"):
        Pacer(START, speed=speed, real=RealTime())


def _drive(
    sim: FakeSim, pacer: Pacer, real: RealTime, *, stop_after: float, tick: float = 0.2
) -> list[float]:
    """Run `drive` with a wait that moves the fake real time; stops once `stop_after` real s passed."""
    stop, waits, begin = threading.Event(), list[float](), real.at

    def wait(seconds: float) -> None:
        waits.append(seconds)
        real.at += seconds
        if real.at - begin >= stop_after:
            stop.set()

    drive(sim, pacer, stop, tick=tick, wait=wait)
    return waits


def test_each_event_runs_once_real_time_reaches_it_not_before() -> None:
    # Given the per-minute poll at speed 60: one firing per real second
    real = RealTime()
    pacer = Pacer(START, speed=60, real=real)
    polls = [START + timedelta(minutes=m) for m in range(4)]
    sim = FakeSim(polls)
    # When it is driven for 3.5 real seconds
    _drive(sim, pacer, real, stop_after=3.5)
    # Then the polls at +0, +1, +2 and +3 minutes ran, each as soon as its time came, never early
    assert [event for event, _ in sim.fired] == polls
    for event, ran_at in sim.fired:
        assert event <= ran_at < event + timedelta(seconds=1)
    # and the simulator was never asked to run ahead of real time
    assert sim.ran_to == sorted(sim.ran_to)
    assert sim.ran_to[-1] <= START + timedelta(seconds=3.5 * 60)


def test_idle_waits_are_capped_by_the_tick_so_the_clock_keeps_moving() -> None:
    # Given nothing due for an hour of simulated time at speed 1
    real = RealTime()
    pacer = Pacer(START, speed=1, real=real)
    sim = FakeSim([START + timedelta(hours=1)])
    # When driven for 2 real seconds with a 0.2 s tick
    waits = _drive(sim, pacer, real, stop_after=2.0, tick=0.2)
    # Then it waited in ticks, the clock followed real time, and the event did not run
    assert max(waits) == pytest.approx(0.2)
    assert len(waits) >= 10
    assert sim.ran_to[-1] == START + timedelta(seconds=1.8)  # the last catch-up before stopping
    assert sim.fired == []


def test_an_event_due_sooner_than_a_tick_is_waited_for_exactly() -> None:
    real = RealTime()
    pacer = Pacer(START, speed=60, real=real)
    sim = FakeSim([START + timedelta(seconds=3)])  # 0.05 real s away
    waits = _drive(sim, pacer, real, stop_after=0.1, tick=0.2)
    assert waits[0] == pytest.approx(0.05)
    assert sim.fired == [(START + timedelta(seconds=3), START + timedelta(seconds=3))]


def test_a_stop_already_set_runs_nothing() -> None:
    stop = threading.Event()
    stop.set()
    sim = FakeSim([START])
    drive(sim, Pacer(START, speed=60, real=RealTime()), stop, wait=lambda _s: None)
    assert sim.ran_to == []
