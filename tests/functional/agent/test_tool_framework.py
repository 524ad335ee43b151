"""The tool framework in a real turn: tool results kept by tool_use id and reused by a retried batch,
a tool that ends the session, Anthropic-typed definitions, and the system prompt of a deployment."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from jada.agent.prompts import HANDOFF_MARK, SYSTEM_PROMPT
from jada.agent.tools import BUILT_INS, Registry, Services, registry_for
from jada.agent.tools.base import Tool, ToolContext, ToolInput, ToolOutcome
from jada.lifecycle import SessionOutcome
from jada.settings import Resources, Settings
from jada_tools.fakes.model_server import reply, scripted, text, tool_use

from tests.functional.agent.conftest import Harness, tool_results
from tests.functional.agent.test_turn_batch import fail_checkpoint_write_once


class NoteInput(ToolInput):
    text: str


class Counter:
    """A tool with a side effect we can count (stands in for a work tool)."""

    def __init__(self) -> None:
        self.runs: list[str] = []

    def run(self, ctx: ToolContext, args: NoteInput) -> ToolOutcome:
        self.runs.append(ctx.tool_use_id)
        return ToolOutcome(f"noted {args.text} (turn {ctx.turn} of session {ctx.session})")


def counting_registry(counter: Counter, *extra: Tool) -> Registry:
    note = Tool("note", "Write a note.", NoteInput, counter.run, guidance="note: write a note")
    return Registry((*BUILT_INS, note, *extra))


def test_a_crash_after_a_tool_ran_reuses_its_stored_result_and_does_not_run_it_again(
    harness: Harness,
) -> None:
    # Given a tool with a side effect, and a turn checkpoint that fails once after the tool ran
    task = harness.task()
    counter = Counter()
    harness.script(scripted(reply(tool_use("note", {"text": "a"}, "toolu_note1"))))
    agent = harness.agent(counting_registry(counter), turns_per_batch=1)
    fail_checkpoint_write_once(agent, lambda key: key.startswith("s"))
    with pytest.raises(EndpointConnectionError):
        harness.run(task, agent=agent)
    assert counter.runs == ["toolu_note1"]
    # When the state machine retries the batch
    result = harness.run(task, agent=agent)
    # Then the tool did not run again, and the model saw the first run's result
    assert (result.status, result.turns) == ("continue", 1)
    assert counter.runs == ["toolu_note1"]
    stored = harness.cloud.checkpoints().load_session(task.task_id, 1)[0]
    results = [b for m in stored.messages for b in m["content"] if b.get("type") == "tool_result"]
    assert results[0]["content"] == "noted a (turn 1 of session 1)"


def test_a_crash_before_the_result_was_kept_runs_the_tool_again(harness: Harness) -> None:
    # Given the tool result's own write fails (the tool ran, its result was not kept)
    task = harness.task()
    counter = Counter()
    harness.script(scripted(reply(tool_use("note", {"text": "a"}, "toolu_note1"))))
    agent = harness.agent(counting_registry(counter), turns_per_batch=1)
    fail_checkpoint_write_once(agent, lambda key: key.startswith("x"))
    with pytest.raises(EndpointConnectionError):
        harness.run(task, agent=agent)
    # When retried, the tool runs again with the same tool_use id (tools make that idempotent)
    harness.run(task, agent=agent)
    assert counter.runs == ["toolu_note1", "toolu_note1"]


def _approval(ctx: ToolContext, args: NoteInput) -> ToolOutcome:
    return ToolOutcome("waiting", ends_session=SessionOutcome.BLOCKED, reason=f"approve {args.text}?")


def test_any_tool_can_end_the_session_and_a_retried_batch_agrees(harness: Harness) -> None:
    task = harness.task()
    wait = Tool("wait_for_operator", "Wait.", NoteInput, _approval)
    harness.script(scripted(reply(tool_use("wait_for_operator", {"text": "the diff"}, "toolu_w"))))
    agent = harness.agent(counting_registry(Counter(), wait))
    result = harness.run(task, agent=agent)
    assert (result.status, result.reason) == ("blocked", "approve the diff?")
    stored = harness.cloud.checkpoints().load_session(task.task_id, 1)
    assert stored[-1].ended is not None
    assert stored[-1].ended.outcome is SessionOutcome.BLOCKED
    # a batch retried after the end derives the same ending from the stored turns alone
    again = harness.run(task, agent=agent)
    assert (again.status, again.reason) == ("blocked", "approve the diff?")
    assert len(harness.server.requests) == 1


def test_an_error_result_of_an_ending_tool_does_not_end_the_session(harness: Harness) -> None:
    task = harness.task()
    harness.script(scripted(reply(tool_use("complete_task", {}, "toolu_c")), reply(text("ok"))))
    result = harness.run(task)
    assert result.status == "completed"  # by end_turn on the second turn, not by the bad call
    assert len(harness.server.requests) == 2
    assert tool_results(harness.server.requests[1])[0]["is_error"] is True


def test_the_system_prompt_lists_the_work_tools_and_stays_identical(harness: Harness) -> None:
    task = harness.task()
    harness.script(scripted(*(reply(tool_use("note", {"text": str(i)}, f"toolu_{i}")) for i in range(3))))
    harness.run(task, agent=harness.agent(counting_registry(Counter()), turns_per_batch=3))
    systems = [r["system"] for r in harness.server.requests]
    assert systems[0] == systems[1] == systems[2]
    assert systems[0][0]["text"].startswith(SYSTEM_PROMPT)
    assert systems[0][0]["text"].endswith("Tools of this deployment:\n- note: write a note")


def test_a_resumed_session_is_still_asked_for_a_handoff_note(harness: Harness) -> None:
    # Given a first session that was asked for (and saved) a handoff note
    task = harness.task()
    asked: list[bool] = []

    def respond(request: dict[str, Any]) -> Any:
        opening = request["messages"][-1]["content"]
        own = [b for b in opening if b.get("type") == "text" and b["text"].startswith(HANDOFF_MARK)]
        asked.append(bool(own))
        if own:
            return reply(tool_use("save_progress", {"note": "half done"}, f"toolu_s{len(asked)}"))
        return reply(tool_use("note", {"text": str(len(asked))}, f"toolu_n{len(asked)}"))

    harness.script(respond)
    registry = counting_registry(Counter())
    settings = {"turns_per_session": 5, "handoff_margin": 2, "turns_per_batch": 10}
    harness.run(task, agent=harness.agent(registry, **settings))
    assert asked == [False, False, True, False, False]
    # When the next session starts (its opening quotes the earlier request in the history digest)
    asked.clear()
    harness.run(task, session=2, agent=harness.agent(registry, **settings))
    # Then it is asked again, once, at its own turn 3
    assert asked == [False, False, True, False, False]


def test_registry_for_a_deployment_has_the_built_ins_first_and_a_fixed_order() -> None:
    registry = registry_for(Settings())
    names = [d["name"] for d in registry.definitions()]
    assert names[:4] == ["complete_task", "create_task", "save_progress", "block_task"]
    assert registry_for(Settings()).definitions() == registry.definitions()


def test_an_anthropic_defined_tool_is_sent_by_type_without_a_schema() -> None:
    editor = Tool(
        "str_replace_based_edit_tool", "", NoteInput, Counter().run,
        api_type="text_editor_20250728", api_options={"max_characters": 10000},
    )  # fmt: skip
    assert editor.definition() == {
        "type": "text_editor_20250728",
        "name": "str_replace_based_edit_tool",
        "max_characters": 10000,
    }


def test_services_make_each_adapter_once_from_the_deployment_and_can_be_provided() -> None:
    made: list[str] = []

    def table_name(settings: Settings, resources: Resources) -> str:
        made.append(resources.tasks_table)
        return f"{resources.tasks_table}/{settings.model}"

    services = Services(Settings(model="m"), Resources(tasks_table="t"))
    assert services.get(table_name) == services.get(table_name) == "t/m"
    assert made == ["t"]
    assert Services().provide(table_name, "given").get(table_name) == "given"
