"""Real time to simulated time for an open-ended run (`jada local serve`).

The simulator stays discrete-event: its clock jumps from event to event and stands still while
executions run. A `Pacer` says which simulated moment real time has reached (`speed` simulated
seconds per real second since the pacer started); `drive` keeps the simulator in step with it:
it processes everything due by that moment, then waits (real time) until the next event is due,
never longer than a short tick so the clock keeps moving for requests arriving meanwhile.

    pacer = Pacer(clock.now, speed=60)
    drive(sim, pacer, stop)          # returns once `stop` is set
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

#: the longest real pause between two catch-ups (seconds): the clock's granularity when idle
TICK_S = 0.2


class Paced(Protocol):
    """What `drive` needs of the simulator."""

    def run_until(self, moment: datetime) -> None: ...

    def next_moment(self) -> datetime | None: ...


class Pacer:
    def __init__(self, start: datetime, speed: float, real: Callable[[], float] = time.monotonic) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be more than 0, got {speed}")
        self.start = start
        self.speed = float(speed)
        self._real = real
        self._origin = real()

    def now(self) -> datetime:
        """The simulated moment real time has reached."""
        return self.start + timedelta(seconds=(self._real() - self._origin) * self.speed)

    def real_seconds_until(self, moment: datetime) -> float:
        """Real seconds until `moment` is due (0 once it is)."""
        return max(0.0, (moment - self.now()).total_seconds() / self.speed)


def drive(
    sim: Paced,
    pacer: Pacer,
    stop: threading.Event,
    *,
    tick: float = TICK_S,
    wait: Callable[[float], object] | None = None,
) -> None:
    """Run `sim` in step with `pacer` until `stop` is set. `wait(seconds)` pauses in real time
    (default: `stop.wait`, which returns early when `stop` is set)."""
    pause = wait or stop.wait
    while not stop.is_set():
        sim.run_until(pacer.now())
        upcoming = sim.next_moment()
        pause(tick if upcoming is None else min(tick, pacer.real_seconds_until(upcoming)))
