"""A crash at every external call of the turn batch, for every tool: the state machine's Retry (or
its Catch path, when the Lambda died) leaves every invariant holding; a retried crash ends the task
exactly as a clean run does.

A tool is covered by one entry of SCENARIOS: the model's turns calling it (and a `check` when the
generic invariants of world.invariants do not cover its side effect)."""

from __future__ import annotations

import pytest
from jada.lifecycle import TaskStatus

from tests.functional.crash.model import Call, Say
from tests.functional.crash.sessions import Run, Scenario, sweep, violations
from tests.functional.crash.world import World

DONE = Call("complete_task", {"summary": "Page live."})
CHILD = Call("create_task", {"title": "deploy the page", "prompt": "Deploy the crew page."})
NOTE = Call("save_progress", {"note": "Draft written; deploy next."})


def one_child(world: World, run: Run) -> list[str]:
    children = [t for t in world.all_tasks() if t.title == "deploy the page"]
    return [] if len(children) == 1 else [f"{len(children)} child tasks for one create_task call"]


SCENARIOS = [
    Scenario("complete_task", ((DONE,),)),
    Scenario("create_task", ((CHILD,), (DONE,)), check=one_child, env={"TURNS_PER_BATCH": "1"}),
    Scenario("save_progress", ((NOTE,), (DONE,))),
    Scenario("block_task", ((Call("block_task", {"reason": "Which photo?"}),),), rests=TaskStatus.BLOCKED),
    Scenario("end_turn", ((Say("The page is live."),),)),
    Scenario("two_tools_in_a_turn", ((CHILD, NOTE), (DONE,)), check=one_child),
    Scenario(
        "turn_limit_then_resume",
        ((NOTE,),),
        env={"TURNS_PER_SESSION": "2", "HANDOFF_MARGIN": "0"},
        resumed=((DONE,),),
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_a_crash_at_any_call_of_a_turn_batch_changes_nothing(world: World, scenario: Scenario) -> None:
    clean, runs = sweep(world, scenario.in_turn_batch())
    found = violations(scenario.name, clean, runs, same_end=lambda _run: True)
    assert found == [], "\n".join(found)
