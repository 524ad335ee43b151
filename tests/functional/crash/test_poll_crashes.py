"""A crash at every external call of the poll: Lambda's retries of the same scheduled event and
the next polls start every session once, the quota never above its limit nor leaking more than
the crashed start, every slot given back, no task left running."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from jada.lifecycle import TaskStatus

from tests.functional.crash.sessions import Sweep, sweep, violations
from tests.functional.crash.world import START, World

TITLES = ("crew page", "fleet page", "prices page")


def queued(env: dict[str, str]) -> "callable":
    def prepare(world: World) -> None:
        world.functions.extra_env.update(env)
        world.clock.set(START.replace(hour=23, minute=58))  # the third start waits for the next UTC day
        for title in TITLES:
            world.tasks().create(title=title, prompt=f"Build the {title}.", now=world.clock.now)
            world.clock.advance(1)

    return prepare


def polled(world: World) -> None:
    world.scheduled("poll")
    world.settle(lambda: all(t.status is TaskStatus.DONE for t in world.all_tasks()), ticks=15)


SWEEPS = [
    Sweep("quota", "poll", queued({"SESSIONS_PER_DAY": "2", "MAX_CONCURRENT_SESSIONS": "3"}), polled, quota_leak=1),
    Sweep("cap", "poll", queued({"SESSIONS_PER_DAY": "5", "MAX_CONCURRENT_SESSIONS": "1"}), polled, quota_leak=1),
]


@pytest.mark.parametrize("what", SWEEPS, ids=lambda s: s.name)
def test_a_crash_at_any_call_of_the_poll_starts_every_session_once(world: World, what: Sweep) -> None:
    t0 = time.process_time()
    clean, runs = sweep(world, what)
    print("CPU", time.process_time() - t0, len(clean.calls), clean.calls, len(runs))
    found = violations(what.name, clean, runs, same_end=lambda _run: True)
    print("\n".join(found))
    assert found == []
