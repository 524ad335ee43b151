"""The turn loop against the real anthropic SDK and a loopback Messages API, stores in moto."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from jada.agent import prompts
from jada.agent.pricing import cost_usd
from jada.agent.prompts import HANDOFF_MARK, RESUME_MARK, SYSTEM_PROMPT
from jada.agent.turns import Agent
from jada.models import Usage
from jada.stores.tasks import child_task_id
from jada_tools.fakes.model_server import reply, scripted, text, tool_use, usage

from tests.functional.agent.conftest import Harness, last_user_text, tool_results
from tests.functional.agent.work_tools import EVERY_TOOL, agent_with, work_cloud


def step(n: int) -> Any:
    return reply(tool_use("do_step", {"step": f"step {n}"}, f"toolu_step{n:03d}"))


def handoff_aware(note: str = "Steps 1-3 done; next: step 4.") -> Any:
    """A model that does steps, and saves a handoff note when jada asks for one."""
    counter = iter(range(1, 10_000))

    def respond(request: dict[str, Any]) -> Any:
        n = next(counter)
        if HANDOFF_MARK in last_user_text(request):
            return reply(tool_use("save_progress", {"note": note}, f"toolu_save{n:03d}"))
        return step(n)

    return respond


def test_multi_turn_tool_use_runs_to_completion_and_accounts_usage(harness: Harness) -> None:
    # Given a model that queues a child task, saves progress, then completes
    task = harness.task()
    harness.script(
        scripted(
            reply(
                tool_use("create_task", {"title": "deploy", "prompt": "Deploy the page."}, "toolu_create1")
            ),
            reply(tool_use("save_progress", {"note": "page written"}, "toolu_save1")),
            reply(
                text("All done."), tool_use("complete_task", {"summary": "Crew page built."}, "toolu_done1")
            ),
        )
    )
    # When one batch runs
    result = harness.run(task)
    # Then the session completed in three turns, with the tools' effects on the task
    assert result.output() == {
        "task_id": task.task_id,
        "session": 1,
        "execution": f"{task.task_id}-s1",
        "turns": 3,
        "status": "completed",
        "reason": None,
    }
    stored = harness.cloud.tasks().get(task.task_id)
    child_id = child_task_id("toolu_create1")
    assert stored.children == [child_id]
    assert stored.summary == "Crew page built."
    assert stored.handoff_note == "page written"
    assert stored.status == "running"  # the session-end function changes the status, not the batch
    child = harness.cloud.tasks().get(child_id)
    assert (child.parent_id, child.title, child.status) == (task.task_id, "deploy", "pending")
    # and each turn's tool result went back to the model
    requests = harness.server.requests
    assert len(requests) == 3
    assert tool_results(requests[1]) == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_create1",
            "content": f"Queued task {child_id} (deploy).",
        }
    ]
    # and usage is summed per session and per task, priced by the model table
    turn = Usage(input_tokens=100, output_tokens=20)
    expected_cost = 3 * cost_usd("claude-sonnet-5-5", turn)
    assert stored.sessions["1"].turns == 3
    assert stored.sessions["1"].usage.input_tokens == 300
    assert stored.usage.output_tokens == 60
    assert stored.usage.cost_usd == pytest.approx(expected_cost)
    assert result.usage.cost_usd == pytest.approx(expected_cost)
    assert len(harness.cloud.checkpoints().load_session(task.task_id, 1)) == 3


def unmarked(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages without cache breakpoints."""
    return [
        {**m, "content": [{k: v for k, v in b.items() if k != "cache_control"} for b in m["content"]]}
        for m in messages
    ]


@pytest.mark.parametrize("every_tool", [False, True], ids=["built-ins", "every tool"])
def test_system_prompt_and_tools_are_byte_identical_across_turns_with_cache_breakpoints(
    harness: Harness, every_tool: bool, request: pytest.FixtureRequest
) -> None:
    task = harness.task()
    harness.script(scripted(step(1), step(2), step(3), step(4)))
    agent = harness.agent(turns_per_batch=4)
    if every_tool:  # the sheet, server tools and an MCP server (its token from Secrets Manager)
        request.getfixturevalue(work_cloud.__name__)
        agent = agent_with(harness, **EVERY_TOOL, turns_per_batch=4)
    harness.run(task, agent=agent)
    requests = harness.server.requests
    assert len(requests) == 4
    prefixes = {json.dumps([r["tools"], r["system"], r.get("mcp_servers")]).encode() for r in requests}
    assert len(prefixes) == 1
    first = requests[0]
    assert first["system"][0]["text"] == prompts.system_text(agent.registry.guidance())
    assert first["system"][0]["text"].startswith(SYSTEM_PROMPT)
    assert first["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert first["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    names = [t.get("name") or t.get("mcp_server_name") for t in first["tools"]]
    assert len(names) == len(agent.registry.definitions())
    hosted = {"read_port_sheet", "web_search", "web_fetch", "apps-script"}
    assert hosted <= set(names) if every_tool else not hosted & set(names)
    assert names[:4] == [
        "complete_task",
        "create_task",
        "save_progress",
        "block_task",
    ]
    for request in requests:
        *older, newest = request["messages"]
        assert newest["content"][-1]["cache_control"] == {"type": "ephemeral"}
        assert all("cache_control" not in b for m in older for b in m["content"])
    # each request's messages extend the previous request's messages unchanged
    for before, after in itertools.pairwise(requests):
        assert unmarked(after["messages"][: len(before["messages"])]) == unmarked(before["messages"])


def test_batch_size_ends_a_batch_and_the_next_batch_continues_from_the_checkpoint(harness: Harness) -> None:
    task = harness.task()
    harness.script(scripted(step(1), step(2), step(3)))
    first = harness.run(task, turns_per_batch=2)
    assert (first.status, first.turns, first.turns_run) == ("continue", 2, 2)
    second = harness.run(task, turns_per_batch=2)
    assert (second.status, second.turns) == ("continue", 4)
    # the third request carries the whole conversation rebuilt from the checkpoint
    third = harness.server.requests[2]
    assert len(third["messages"]) == 5
    assert tool_results(third)[0]["tool_use_id"] == "toolu_step002"


def test_turn_limit_pauses_with_a_handoff_note_and_the_next_session_resumes_from_it(harness: Harness) -> None:
    # Given a 6-turn session whose model saves a note when asked (at turn 6 - 2 = 4)
    task = harness.task()
    harness.script(handoff_aware("Steps 1-3 done; next: step 4."))
    result = harness.run(task, turns_per_session=6, handoff_margin=2, turns_per_batch=10)
    # Then the session paused at the limit
    assert (result.status, result.turns) == ("turn_limit", 6)
    assert result.reason == "turn limit reached (6 turns)"
    asked = [HANDOFF_MARK in last_user_text(r) for r in harness.server.requests]
    assert asked == [False, False, False, True, False, False]
    assert harness.cloud.tasks().get(task.task_id).handoff_note == "Steps 1-3 done; next: step 4."
    # When the next session starts
    harness.server.requests.clear()
    resumed = harness.run(task, session=2, turns_per_session=6, handoff_margin=2, turns_per_batch=1)
    # Then its first request is one message: the task, the note and recent history
    assert resumed.status == "continue"
    first = harness.server.requests[0]
    assert len(first["messages"]) == 1
    opening = last_user_text(first)
    assert RESUME_MARK in opening
    assert "Build the crew page." in opening
    assert "Handoff note from your previous session:\nSteps 1-3 done; next: step 4." in opening
    assert "assistant called do_step" in opening


def test_resume_history_fits_the_token_budget(harness: Harness) -> None:
    task = harness.task()
    big = "x" * 3000
    harness.script(lambda request: reply(tool_use("do_step", {"step": big})))
    harness.run(task, turns_per_session=20, handoff_margin=0, turns_per_batch=20)
    harness.server.requests.clear()
    harness.run(task, session=2, turns_per_session=20, turns_per_batch=1)
    opening = last_user_text(harness.server.requests[0])
    assert len(opening) < 6_000 * 4 + 2_000  # the digest budget, not 20 turns of 3 KB inputs
    assert "assistant called do_step" in opening


def test_pending_answer_is_delivered_in_the_first_request_and_cleared(harness: Harness) -> None:
    task = harness.task(pending_answer="Use the blue palette.", blocked_reason="Which colours?")
    harness.script(scripted(step(1), step(2)))
    result = harness.run(task, turns_per_batch=2)
    assert result.status == "continue"
    first, second = harness.server.requests
    assert "The operator answered:\nUse the blue palette." in last_user_text(first)
    assert "You asked the operator: Which colours?" in last_user_text(first)
    assert "blue palette" not in last_user_text(second)
    assert harness.cloud.tasks().get(task.task_id).pending_answer is None


def test_rate_limit_then_success_retries_once_with_a_capped_wait(harness: Harness) -> None:
    from jada_tools.fakes.model_server import rate_limited

    task = harness.task()
    harness.script(
        scripted(rate_limited(retry_after=3600), reply(tool_use("complete_task", {"summary": "ok"})))
    )
    result = harness.run(task)
    assert result.status == "completed"
    assert len(harness.server.requests) == 2
    assert harness.slept == [10.0]  # retry-after 3600 capped


def test_rate_limited_twice_raises_the_named_error_and_stores_nothing(harness: Harness) -> None:
    from jada.errors import ModelRateLimited
    from jada_tools.fakes.model_server import rate_limited

    task = harness.task()
    harness.script(scripted(rate_limited(retry_after=2)))
    with pytest.raises(ModelRateLimited) as caught:
        harness.run(task)
    assert caught.value.details["retry_after"] == 2.0
    assert len(harness.server.requests) == 2
    assert harness.cloud.checkpoints().load_session(task.task_id, 1) == []


def test_overloaded_exhausting_retries_raises_model_unavailable(harness: Harness) -> None:
    from jada.errors import ModelUnavailable
    from jada_tools.fakes.model_server import overloaded

    task = harness.task()
    harness.script(scripted(overloaded()))
    with pytest.raises(ModelUnavailable, match="Overloaded"):
        harness.run(task)
    assert len(harness.server.requests) == 2
    assert harness.slept == [2.0]


def test_no_retry_when_the_lambda_has_too_little_time(harness: Harness) -> None:
    from jada.errors import ModelUnavailable
    from jada_tools.fakes.model_server import server_error

    task = harness.task()
    harness.remaining_s = 31.0
    harness.script(scripted(server_error(503)))
    with pytest.raises(ModelUnavailable):
        harness.run(task)
    assert len(harness.server.requests) == 1


@pytest.mark.parametrize(
    ("response", "error_name", "message"),
    [
        ("unauthorized", "ModelAuthFailed", "invalid x-api-key"),
        ("bad_request", "ModelRequestRejected", "roles must alternate"),
        ("spend_limit_reached", "SpendLimitReached", "usage limits"),
    ],
)
def test_fatal_errors_are_not_retried(harness: Harness, response: str, error_name: str, message: str) -> None:
    from jada import errors
    from jada_tools.fakes import model_server

    task = harness.task()
    harness.script(scripted(getattr(model_server, response)()))
    with pytest.raises(getattr(errors, error_name), match=message):
        harness.run(task)
    assert len(harness.server.requests) == 1
    assert harness.slept == []


def test_invalid_tool_input_and_unknown_tools_return_errors_the_model_can_fix(harness: Harness) -> None:
    task = harness.task()
    harness.script(
        scripted(
            reply(
                tool_use("create_task", {"prompt": "no title"}, "toolu_bad1"),
                tool_use("fly", {}, "toolu_bad2"),
            ),
            reply(tool_use("complete_task", {"summary": "fixed"})),
        )
    )
    result = harness.run(task)
    assert (result.status, result.turns) == ("completed", 2)
    bad, unknown = tool_results(harness.server.requests[1])
    assert bad["is_error"] is True
    assert bad["content"] == "Invalid input for create_task: title: Field required. Fix it and call again."
    assert unknown["is_error"] is True
    assert "Unknown tool 'fly'" in unknown["content"]
    assert "complete_task" in unknown["content"]
    assert harness.cloud.tasks().get(task.task_id).children == []


def fail_checkpoint_write_once(agent: Agent, matches: Callable[[str], bool]) -> None:
    """The remote end drops the connection on the first checkpoint PutItem whose key matches."""
    failures = [EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")]

    def fail_once(params: dict[str, Any], **_: Any) -> None:
        # a turn is written with its count on the task, in a transaction
        item = params["TransactItems"][0]["Put"]["Item"] if "TransactItems" in params else params["Item"]
        if failures and matches(item["turn_key"]):
            raise failures.pop()

    events = agent.checkpoints.table.meta.client.meta.events
    for operation in ("PutItem", "TransactWriteItems"):
        events.register(f"provide-client-params.dynamodb.{operation}", fail_once)


def test_a_crash_between_model_call_and_checkpoint_reruns_the_turn_without_a_duplicate_child(
    harness: Harness,
) -> None:
    # Given a checkpoint write that fails once (the remote end drops the connection)
    task = harness.task()
    harness.script(
        scripted(reply(tool_use("create_task", {"title": "deploy", "prompt": "Deploy it."}, "toolu_child")))
    )
    agent = harness.agent(turns_per_batch=1)
    fail_checkpoint_write_once(agent, lambda key: True)  # the first write: the model's reply
    with pytest.raises(EndpointConnectionError):
        harness.run(task, agent=agent)
    # When the state machine retries the batch
    result = harness.run(task, agent=agent)
    # Then the turn ran again, and its side effect happened once
    assert (result.status, result.turns) == ("continue", 1)
    assert len(harness.server.requests) == 2
    parent = harness.cloud.tasks().get(task.task_id)
    assert parent.children == [child_task_id("toolu_child")]
    assert len(harness.cloud.tasks().list_all()) == 2
    assert len(harness.cloud.checkpoints().load_session(task.task_id, 1)) == 1


def test_a_crash_after_the_tools_ran_reuses_the_stored_reply_so_new_tool_ids_cannot_duplicate(
    harness: Harness,
) -> None:
    # Given a model that would answer a repeated call with a new tool_use id (as a real one does)
    task = harness.task()
    ids = itertools.count(1)
    harness.script(
        lambda _request: reply(
            tool_use("create_task", {"title": "deploy", "prompt": "Deploy it."}, f"toolu_{next(ids)}")
        )
    )
    agent = harness.agent(turns_per_batch=1)
    fail_checkpoint_write_once(agent, lambda key: key.startswith("s"))  # the turn, after its tools ran
    # When the batch crashes after the tool ran but before the turn's checkpoint, and is retried
    with pytest.raises(EndpointConnectionError):
        harness.run(task, agent=agent)
    result = harness.run(task, agent=agent)
    # Then the retry reused the stored reply: one model call, one child task
    assert (result.status, result.turns) == ("continue", 1)
    assert len(harness.server.requests) == 1
    assert harness.cloud.tasks().get(task.task_id).children == [child_task_id("toolu_1")]
    assert len(harness.cloud.tasks().list_all()) == 2


def test_a_retried_batch_adds_each_turn_cost_to_the_spend_once(harness: Harness) -> None:
    # Given a batch that crashes after its turn's tools ran (the reply is stored), and is retried
    task = harness.task()
    harness.script(
        lambda _request: reply(tool_use("do_step", {"step": "s"}), usage_block=usage(input_tokens=200))
    )
    agent = harness.agent(turns_per_batch=2)
    fail_checkpoint_write_once(agent, lambda key: key.startswith("s"))
    with pytest.raises(EndpointConnectionError):
        harness.run(task, agent=agent)
    result = harness.run(task, agent=agent)
    # Then the day's and the month's spend hold each of the 2 turns once, as the task's usage does
    assert result.turns == 2
    counters, cost = harness.cloud.counters(), harness.cloud.tasks().get(task.task_id).usage.cost_usd
    assert cost == pytest.approx(2 * 0.0009)
    assert counters.spend("2026-05-12") == pytest.approx(cost)
    assert counters.spend("2026-05") == pytest.approx(cost)


def test_checkpoint_bytes_per_turn_stay_flat_from_turn_1_to_30(harness: Harness) -> None:
    task = harness.task()
    harness.script(handoff_aware())
    result = harness.run(task, turns_per_session=30, turns_per_batch=30)
    written = result.checkpoint_bytes
    assert (result.status, len(written)) == ("turn_limit", 30)
    # each turn stores its own messages only, never the transcript so far
    assert max(written) < 2 * min(written)
    assert written[29] < 1.2 * written[1]
    stored = harness.cloud.checkpoints().load_session(task.task_id, 1)
    assert [len(r.messages) for r in stored] == [3] + [2] * 29


def test_a_retried_batch_after_the_session_ended_does_not_call_the_model_again(harness: Harness) -> None:
    task = harness.task()
    harness.script(scripted(reply(text("Finished: the page is live."))))
    first = harness.run(task)
    again = harness.run(task)
    assert first.output() == again.output()
    assert len(harness.server.requests) == 1


def test_low_remaining_time_ends_the_batch_before_a_turn(harness: Harness) -> None:
    task = harness.task()
    harness.remaining_s = 25.0
    result = harness.run(task)
    assert (result.status, result.turns, result.reason) == ("continue", 0, "Lambda time running out")
    assert harness.server.requests == []


def test_cost_budget_ends_the_session_like_the_turn_limit(harness: Harness) -> None:
    task = harness.task(max_cost_usd=0.001)
    harness.script(
        lambda request: reply(tool_use("do_step", {"step": "s"}), usage_block=usage(input_tokens=200))
    )
    result = harness.run(task, turns_per_batch=10)
    # 200 in + 20 out tokens = $0.0009 a turn: over $0.001 after the second
    assert (result.status, result.turns) == ("turn_limit", 2)
    assert result.reason is not None
    assert result.reason.startswith("cost budget reached")
