from __future__ import annotations

from typing import Any

from jada.agent.prompts import HANDOFF_MARK, RESUME_MARK
from jada_tools.local.scripted_model import respond


def request(opening: str, *later: dict[str, Any]) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"type": "text", "text": opening}]}, *later]}


def turn(text: str) -> list[dict[str, Any]]:
    return [
        {"role": "assistant", "content": [{"type": "text", "text": "..."}]},
        {"role": "user", "content": [{"type": "text", "text": text}]},
    ]


def tools(req: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    status, _, body = respond(req)
    assert status == 200
    return [(b["name"], b["input"]) for b in body["content"] if b["type"] == "tool_use"]


def stop(req: dict[str, Any]) -> str:
    return respond(req)[2]["stop_reason"]


def test_a_plain_task_completes() -> None:
    assert tools(request("Task: crew page\n\nUpdate the crew page.")) == [
        ("complete_task", {"summary": "crew page: done."})
    ]


def test_an_approval_task_blocks_until_answered() -> None:
    ((name, args),) = tools(request("Task: contracts\n\nThey need the operator's approval."))
    assert name == "block_task"
    assert "approval" in args["reason"]
    answered = f"{RESUME_MARK}\n\nTask: contracts\n\nneeds approval\n\nThe operator answered:\nB"
    assert tools(request(answered))[0][0] == "complete_task"


def test_a_follow_up_task_queues_a_child_once() -> None:
    opening = "Task: port fees\n\nReconcile and queue a follow-up check."
    ((name, args),) = tools(request(opening))
    assert (name, args["title"]) == ("create_task", "check: port fees")
    assert tools(request(opening, *turn("tool result")))[0][0] == "complete_task"
    # the child itself is plain work, whatever words its title carries
    assert tools(request("Task: check: port fees\n\nReview the follow-up."))[0][0] == "complete_task"


def test_a_long_task_works_saves_progress_when_asked_and_finishes_after_resuming() -> None:
    opening = "Task: voyage report\n\nWrite the long report."
    assert stop(request(opening)) == "max_tokens"
    asked = request(opening, *turn(f"{HANDOFF_MARK} This session ends in 5 turns."))
    ((name, args),) = tools(asked)
    assert name == "save_progress"
    assert args["note"].startswith("Handoff for voyage report")
    resumed = f"{RESUME_MARK}\n\nTask: voyage report\n\nlong\n\nHandoff note from your previous session:\nx"
    assert stop(request(resumed)) == "max_tokens"
    assert tools(request(resumed, *turn("go on"), *turn("go on")))[0][0] == "complete_task"
