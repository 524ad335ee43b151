"""The offline model: a deterministic responder for the loopback Messages API fake.

It reads the task from the conversation and plays a part chosen by keywords of the task's text:
- "approval" / "sign-off" / "decision": asks the operator (block_task); once answered, completes;
- "follow-up" / "downstream": queues a downstream task (create_task), then completes;
- "multi-session" / "long": drafts long sections (replies cut at the output limit, so the session
  goes on) until the turn limit, saves a handoff note when asked, and completes in a later session
  after reading that note;
- anything else: complete_task at once.
"""

from __future__ import annotations

import re
from typing import Any

from jada.agent.prompts import RESUME_MARK, handoff_requested

from jada_tools.fakes.model_server import Response, count_tokens, reply, text, tool_use, usage

BLOCK_WORDS = ("approval", "sign-off", "decision")
SPAWN_WORDS = ("follow-up", "downstream")
LONG_WORDS = ("multi-session", "long")
CHILD_PREFIX = "check:"


def _texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    out: list[str] = []
    for block in content or []:
        if block.get("type") == "text":
            out.append(block.get("text", ""))
        elif block.get("type") == "tool_result":
            out.extend(_texts(block.get("content")))
    return out


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(w)}\b", text) for w in words)


def _title(opening: str) -> str:
    for line in opening.splitlines():
        if line.startswith("Task: "):
            return line.removeprefix("Task: ").strip()
    return "the task"


def respond(request: dict[str, Any]) -> Response:
    messages = request.get("messages", [])
    user = [m for m in messages if m.get("role") == "user"]
    opening = "\n".join(_texts(user[0]["content"])) if user else ""
    turn = sum(1 for m in messages if m.get("role") == "assistant") + 1
    title = _title(opening)
    words = opening.lower()
    resumed = RESUME_MARK in opening
    if title.startswith(CHILD_PREFIX):  # downstream tasks are plain work: no chains of them
        words = ""
    size = usage(input_tokens=count_tokens(request), output_tokens=40 + 5 * turn)

    def answer(*blocks: dict[str, Any], stop_reason: str | None = None) -> Response:
        return reply(*blocks, usage_block=size, stop_reason=stop_reason)

    if user and handoff_requested([user[-1]]):
        note = f"Handoff for {title}: sections 1-{turn} drafted and checked. Next: finish the last sections."
        return answer(text("Saving my progress."), tool_use("save_progress", {"note": note}))
    if _has(words, BLOCK_WORDS):
        if "The operator answered" in opening:
            return answer(
                tool_use("complete_task", {"summary": f"{title}: done with the operator's answer."})
            )
        reason = f"{title}: I need the operator's approval before going on. Which option should I take?"
        return answer(tool_use("block_task", {"reason": reason}))
    if _has(words, SPAWN_WORDS) and not resumed:
        if turn == 1:
            child = {
                "title": f"{CHILD_PREFIX} {title}"[:120],
                "prompt": f"Review the result of '{title}' and report anything missing.",
            }
            return answer(text("Queuing the downstream check."), tool_use("create_task", child))
        return answer(tool_use("complete_task", {"summary": f"{title}: done; a check task is queued."}))
    if _has(words, LONG_WORDS):
        if resumed and "Handoff note" in opening and turn >= 3:
            summary = f"{title}: finished from the handoff note in a later session."
            return answer(tool_use("complete_task", {"summary": summary}))
        return answer(text(f"{title}, section {turn}: ..."), stop_reason="max_tokens")
    return answer(tool_use("complete_task", {"summary": f"{title}: done."}))
