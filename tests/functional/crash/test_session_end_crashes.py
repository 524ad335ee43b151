"""A crash at every external call of session end, on each of its paths: the state machine's "End
session" step (a task done, a task blocked: its email) and its Retry; "Record session failure"
after a batch error that is not retried, then the rule for failed executions invoking it again
(Lambda's async retries). Every invariant holds and the task ends as in a clean run."""

from __future__ import annotations

import pytest
from jada.lifecycle import TaskStatus

from tests.functional.crash.model import Call, Reject
from tests.functional.crash.sessions import Scenario, sweep, violations
from tests.functional.crash.world import World

SCENARIOS = [
    Scenario("done", ((Call("complete_task", {"summary": "Page live."}),),)),
    Scenario("blocked", ((Call("block_task", {"reason": "Which photo?"}),),), rests=TaskStatus.BLOCKED),
    Scenario("batch_failed", ((Reject(),),), rests=TaskStatus.FAILED),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_a_crash_at_any_call_of_session_end_changes_nothing(world: World, scenario: Scenario) -> None:
    clean, runs = sweep(world, scenario.in_session_end())
    found = violations(scenario.name, clean, runs, same_end=lambda _run: True)
    assert found == [], "\n".join(found)
