"""The simulated clock: time-machine moves the whole process's time; nothing sleeps for real.

A thread that must wait (a Wait state, a retry interval) calls `sleep`: it registers its wake-up
time and blocks. The event loop moves the clock forward once every execution is finished or
blocked, and releases the sleepers that are due.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine


@dataclass(order=True)
class _Sleeper:
    wake: datetime
    seq: int
    event: threading.Event = field(compare=False, default_factory=threading.Event)


class SimClock:
    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)
        self._travel = time_machine.travel(self._now, tick=False)
        self._traveller: Any = None
        self._lock = threading.Condition()
        self._sleepers: list[_Sleeper] = []
        self._seq = 0

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> SimClock:
        self._traveller = self._travel.start()
        return self

    def stop(self) -> None:
        self.release_all()
        self._travel.stop()

    def release_all(self) -> None:
        """Wake every sleeper (at the end of a run, so stranded threads can finish)."""
        with self._lock:
            sleepers, self._sleepers = self._sleepers, []
        for sleeper in sleepers:
            sleeper.event.set()

    @property
    def now(self) -> datetime:
        return self._now

    # --- called by waiting threads ----------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if threading.current_thread() is threading.main_thread():
            # The loop itself never waits: nothing else runs while it would.
            self.advance_to(self._now + timedelta(seconds=seconds))
            return
        with self._lock:
            self._seq += 1
            sleeper = _Sleeper(self._now + timedelta(seconds=seconds), self._seq)
            self._sleepers.append(sleeper)
            self._lock.notify_all()
        sleeper.event.wait()

    # --- called by the loop -----------------------------------------------------------------
    @property
    def blocked(self) -> int:
        with self._lock:
            return len(self._sleepers)

    def next_wake(self) -> datetime | None:
        with self._lock:
            return min((s.wake for s in self._sleepers), default=None)

    def advance_to(self, moment: datetime) -> None:
        if moment > self._now:
            self._now = moment
            self._traveller.move_to(moment)

    def release_due(self) -> int:
        with self._lock:
            due = [s for s in self._sleepers if s.wake <= self._now]
            self._sleepers = [s for s in self._sleepers if s.wake > self._now]
        for sleeper in sorted(due):
            sleeper.event.set()
        return len(due)

    def wait_for_change(self, timeout: float = 0.002) -> None:
        """Let worker threads run for a moment (real time)."""
        with self._lock:
            self._lock.wait(timeout)


class _TimeProxy:
    """Stands in for the `time` module where moto sleeps: `sleep` goes to `on_sleep` instead."""

    def __init__(self, on_sleep: Callable[[float], None]) -> None:
        self._on_sleep = on_sleep

    def sleep(self, seconds: float) -> None:
        self._on_sleep(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class MotoSleepPatch:
    """Wait states and Retry intervals of moto's Step Functions engine: recorded (`waits`,
    `retries`, in seconds) and slept on the simulated clock, or not slept at all without one
    (executions then run at once, in real time)."""

    def __init__(self, clock: SimClock | None = None) -> None:
        self.clock = clock
        self.waits: list[float] = []
        self.retries: list[float] = []
        self._saved: list[tuple[Any, str, Any]] = []

    def _sleep(self, seconds: float) -> None:
        if self.clock is not None:
            self.clock.sleep(seconds)

    def _retry(self, seconds: float) -> None:
        self.retries.append(seconds)
        self._sleep(seconds)

    def __enter__(self) -> MotoSleepPatch:
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

        patch = self

        def _wait_interval(_self: Any, env: Any, wait_seconds: int) -> None:
            if wait_seconds > 0 and env.is_running():
                patch.waits.append(wait_seconds)
                patch._sleep(wait_seconds)

        cls = wait_function.WaitFunction
        self._saved = [
            (cls, "_wait_interval", cls.__dict__["_wait_interval"]),
            (retrier_decl, "time", retrier_decl.time),
        ]
        cls._wait_interval = _wait_interval  # type: ignore[method-assign,assignment]
        retrier_decl.time = _TimeProxy(self._retry)  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, value in reversed(self._saved):
            setattr(owner, name, value)
        self._saved = []


class MotoS3Ticks:
    """S3 timestamps that never repeat on a frozen clock: moto orders an object's versions by
    LastModified alone, so two writes of one key in the same simulated instant (an import and
    an edit, two edits in one batch) would list the older one as the current version. Each
    timestamp moto's S3 takes is at least 1 ms after the previous one."""

    def __init__(self) -> None:
        self._last: datetime | None = None
        self._saved: Any = None
        self._lock = threading.Lock()

    def _utcnow(self) -> datetime:
        with self._lock:
            now = self._saved()
            if self._last is not None and now <= self._last:
                now = self._last + timedelta(milliseconds=1)
            self._last = now
            return now  # type: ignore[no-any-return]

    def __enter__(self) -> MotoS3Ticks:
        from moto.s3 import models

        self._saved = models.utcnow
        models.utcnow = self._utcnow  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        from moto.s3 import models

        models.utcnow = self._saved
