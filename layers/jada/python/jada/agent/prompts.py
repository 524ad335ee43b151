"""Prompt text and request assembly.

The system prompt and tool list are constants: byte-identical on every turn of every task (no
timestamps, counters or task data), so the prompt cache can reuse the prefix. Per-task and
per-turn text goes into messages only.
"""

from __future__ import annotations

import copy
from typing import Any

from jada.models import Task

MAX_OUTPUT_TOKENS = 8192
EPHEMERAL = {"type": "ephemeral"}
#: content blocks that take no cache breakpoint (the breakpoint goes on the last block that does)
NO_BREAKPOINT = frozenset({"thinking", "redacted_thinking", "mcp_tool_listing"})

SYSTEM_PROMPT = """\
You are an autonomous agent working through a queue of tasks for an operator. \
Each task runs in sessions of a limited number of turns; a later session may resume your work.

Rules:
- Work on the task described in the first user message until it is done.
- When the task is fully finished, call complete_task with a short summary for the operator.
- If you cannot continue without a human decision or information only the operator has, call \
block_task with a precise question. The operator's answer reaches you when the task resumes.
- To hand work to a separate task that should run later on its own, call create_task with a \
complete prompt.
- When you are asked to save your progress, call save_progress with a handoff note: what is done, \
what is left, and the exact next steps. A new session starts from that note.
- Keep tool inputs concise."""

HANDOFF_MARK = "[jada: save your progress]"
RESUME_MARK = "[jada: resumed session]"


def system_text(guidance: tuple[str, ...] = ()) -> str:
    """The system prompt: the rules, then one fixed line per enabled work tool (same bytes on every
    request of a deployment)."""
    if not guidance:
        return SYSTEM_PROMPT
    return SYSTEM_PROMPT + "\n\nTools of this deployment:\n" + "\n".join(f"- {line}" for line in guidance)


def system_blocks(guidance: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [{"type": "text", "text": system_text(guidance), "cache_control": EPHEMERAL}]


def cached_tools(definitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tools = copy.deepcopy(definitions)
    if tools:
        tools[-1]["cache_control"] = EPHEMERAL
    return tools


def build_request(
    model: str,
    messages: list[dict[str, Any]],
    tool_definitions: list[dict[str, Any]],
    *,
    system: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The Messages API request, with a cache breakpoint on the newest message.

    The breakpoint is added to a copy: checkpoints keep messages without it."""
    sent = copy.deepcopy(messages)
    if sent:
        newest = sent[-1]
        if isinstance(newest["content"], str):
            newest["content"] = [{"type": "text", "text": newest["content"]}]
        marked = [b for b in newest["content"] if b.get("type") not in NO_BREAKPOINT]
        if marked:
            marked[-1]["cache_control"] = EPHEMERAL
    return {
        "model": model,
        "max_tokens": MAX_OUTPUT_TOKENS,
        "system": system if system is not None else system_blocks(),
        "tools": cached_tools(tool_definitions),
        "messages": sent,
    }


def text_block(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def opening(task: Task) -> str:
    return f"Task: {task.title}\n\n{task.prompt}"


def resumed_opening(task: Task, history: str, answer: str | None) -> str:
    parts = [
        RESUME_MARK,
        "You are continuing this task in a new session; earlier sessions did part of the work.",
        f"Task: {task.title}\n\n{task.prompt}",
    ]
    if task.handoff_note:
        parts.append(f"Handoff note from your previous session:\n{task.handoff_note}")
    if history:
        parts.append(f"Recent history from earlier sessions (oldest first):\n{history}")
    if answer:
        if task.blocked_reason:
            parts.append(f"You asked the operator: {task.blocked_reason}")
        parts.append(f"The operator answered:\n{answer}")
    parts.append("Continue from where the work stopped.")
    return "\n\n".join(parts)


def handoff_requested(messages: list[dict[str, Any]]) -> bool:
    """Whether this session already asked for a handoff note: a text block of its own that starts
    with the mark (a resumed session's digest of earlier sessions may quote the mark: not counted)."""
    for msg in messages:
        content = msg.get("content")
        blocks = content if isinstance(content, list) else []
        if any(b.get("type") == "text" and str(b.get("text", "")).startswith(HANDOFF_MARK) for b in blocks):
            return True
    return False


def handoff_request(turns_left: int) -> str:
    return (
        f"{HANDOFF_MARK} This session ends in {turns_left} turns. Call save_progress now with a handoff "
        "note (what is done, what is left, next steps), then keep working."
    )


def output_cut_off() -> str:
    return "Your reply hit the output token limit. Continue where you stopped; keep tool inputs short."


def truncated_tool_call() -> str:
    return "This tool call was cut off at the output token limit and was not run. Call it again, shorter."
