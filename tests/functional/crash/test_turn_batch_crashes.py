"""A crash at every external call of the turn batch, for every tool: the state machine's Retry (or
its Catch path, when the Lambda died) leaves every invariant holding; a retried crash ends the task
exactly as a clean run does."""

from __future__ import annotations

import time

import pytest

from tests.functional.crash.model import Call
from tests.functional.crash.sessions import Scenario, sweep, transient, violations
from tests.functional.crash.world import World

SCENARIOS = [
    Scenario("complete_task", ((Call("complete_task", {"summary": "Page live."}),),)),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_a_crash_at_any_call_of_a_turn_batch_changes_nothing(world: World, scenario: Scenario) -> None:
    t0 = time.process_time()
    clean, runs = sweep(world, scenario.in_turn_batch())
    print("CPU", time.process_time() - t0, len(clean.calls), clean.calls, len(runs))
    found = violations(scenario.name, clean, runs, same_end=transient)
    print("\n".join(found))
    assert found == []
