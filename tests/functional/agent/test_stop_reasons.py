"""Every stop_reason of the Messages API, end to end through the real SDK."""

from __future__ import annotations

from jada.agent.conversation import CLEARED
from jada.agent.prompts import output_cut_off, truncated_tool_call
from jada_tools.fakes.model_server import reply, scripted, text, tool_use

from tests.functional.agent.conftest import Harness, last_user_text, tool_results


def step(n: int) -> tuple[int, dict[str, str], dict]:
    return reply(tool_use("do_step", {"step": f"step {n}"}, f"toolu_step{n:03d}"))


def test_end_turn_without_complete_task_completes_with_the_final_text_as_summary(harness: Harness) -> None:
    task = harness.task()
    harness.script(scripted(step(1), reply(text("The crew page is live."))))
    result = harness.run(task)
    assert (result.status, result.turns) == ("completed", 2)
    assert harness.cloud.tasks().get(task.task_id).summary == "The crew page is live."


def test_stop_sequence_completes_like_end_turn(harness: Harness) -> None:
    task = harness.task()
    harness.script(scripted(reply(text("Done here."), stop_reason="stop_sequence")))
    result = harness.run(task)
    assert result.status == "completed"
    assert harness.cloud.tasks().get(task.task_id).summary == "Done here."


def test_max_tokens_continues_and_asks_the_model_to_go_on(harness: Harness) -> None:
    task = harness.task()
    harness.script(scripted(reply(text("Part one of a long"), stop_reason="max_tokens"), step(2)))
    result = harness.run(task, turns_per_batch=2)
    assert (result.status, result.turns) == ("continue", 2)
    second = harness.server.requests[1]
    assert second["messages"][-2]["content"] == [{"type": "text", "text": "Part one of a long"}]
    assert last_user_text(second) == output_cut_off()


def test_max_tokens_never_runs_a_cut_off_tool_call(harness: Harness) -> None:
    task = harness.task()
    cut = tool_use("create_task", {"title": "deploy", "prompt": "Deploy"}, "toolu_cut")
    harness.script(scripted(reply(cut, stop_reason="max_tokens"), step(2)))
    harness.run(task, turns_per_batch=2)
    [result] = tool_results(harness.server.requests[1])
    assert result == {"type": "tool_result", "tool_use_id": "toolu_cut", "content": truncated_tool_call(),
                      "is_error": True}  # fmt: skip
    assert harness.cloud.tasks().get(task.task_id).children == []


def test_pause_turn_sends_the_paused_content_back_as_is(harness: Harness) -> None:
    task = harness.task()
    harness.script(scripted(reply(text("Searching..."), stop_reason="pause_turn"), step(2)))
    result = harness.run(task, turns_per_batch=2)
    assert (result.status, result.turns) == ("continue", 2)
    second = harness.server.requests[1]
    newest = second["messages"][-1]
    assert newest["role"] == "assistant"
    assert newest["content"][0]["text"] == "Searching..."


def test_refusal_blocks_the_task_with_the_reason(harness: Harness) -> None:
    task = harness.task()
    harness.script(scripted(reply(text("I can't help with that request."), stop_reason="refusal")))
    result = harness.run(task)
    assert result.status == "blocked"
    assert result.reason == "The model declined to continue: I can't help with that request."
    assert harness.cloud.tasks().get(task.task_id).blocked_reason == result.reason


def test_block_task_blocks_with_the_agents_question(harness: Harness) -> None:
    task = harness.task()
    harness.script(scripted(reply(tool_use("block_task", {"reason": "Which S3 bucket?"}))))
    result = harness.run(task)
    assert (result.status, result.reason) == ("blocked", "Which S3 bucket?")
    assert harness.cloud.tasks().get(task.task_id).blocked_reason == "Which S3 bucket?"


def test_context_window_exceeded_compacts_old_tool_results_and_continues(harness: Harness) -> None:
    # Given six turns of tool results, then a context-window stop
    task = harness.task()
    steps = [step(n) for n in range(1, 7)]
    harness.script(scripted(*steps, reply(text(""), stop_reason="model_context_window_exceeded"), step(8)))
    result = harness.run(task, turns_per_batch=8)
    assert (result.status, result.turns) == ("continue", 8)
    # Then the next request carries the same conversation with old tool results cleared
    before, after = harness.server.requests[6], harness.server.requests[7]
    assert len(after["messages"]) == len(before["messages"])
    old_results = [
        b["content"] for m in after["messages"][1:-4] for b in m["content"] if b["type"] == "tool_result"
    ]
    assert old_results
    assert set(old_results) == {CLEARED}
    assert tool_results(after)[0]["content"] == "did step 6"
    # and a later batch rebuilds exactly the compacted conversation from the checkpoint
    harness.script(scripted(step(9)))
    harness.run(task, turns_per_batch=1)
    rebuilt = harness.server.requests[8]["messages"]
    assert len(rebuilt) == len(after["messages"]) + 2
    assert rebuilt[:-3] == after["messages"][:-1]


def test_context_window_exceeded_with_nothing_to_compact_fails_the_session(harness: Harness) -> None:
    task = harness.task()
    harness.script(scripted(reply(text(""), stop_reason="model_context_window_exceeded")))
    result = harness.run(task)
    assert result.status == "failed"
    assert result.reason == "context window exceeded and nothing left to compact"
