"""A session's conversation rebuilt from its checkpoints, compaction and the resume digest.

Every turn's record holds exactly the messages it appended, so concatenating a session's
records rebuilds the conversation byte for byte. A record whose stop_reason is
`model_context_window_exceeded` marks a compaction, applied again on every rebuild
(compaction is deterministic)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

from jada.models import TurnRecord

CONTEXT_EXCEEDED = "model_context_window_exceeded"
#: messages at the end of the conversation that compaction leaves intact
KEEP_RECENT = 4
CLEARED = "[output removed to save context]"
MAX_KEPT_TEXT = 400
#: the earlier-sessions digest in a resumed session's first message (about 4 characters a token)
HISTORY_BUDGET_TOKENS = 6_000
CHARS_PER_TOKEN = 4


def rebuild(records: Iterable[TurnRecord]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for record in records:
        messages.extend(record.messages)
        if record.stop_reason == CONTEXT_EXCEEDED:
            messages = compact(messages) or messages
    return messages


def compact(messages: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Old tool results cleared and old long texts cut, keeping the opening and the latest
    messages; None when nothing is left to remove."""
    if len(messages) <= KEEP_RECENT + 1:
        return None
    result = copy.deepcopy(messages)
    changed = False
    for msg in result[1:-KEEP_RECENT]:
        if not isinstance(msg["content"], list):
            continue
        for block in msg["content"]:
            changed |= _shrink(block)
    return result if changed else None


def _shrink(block: dict[str, Any]) -> bool:
    kind = block.get("type")
    if kind == "tool_result" and block.get("content") != CLEARED:
        block["content"] = CLEARED
        return True
    if kind == "text" and len(block.get("text", "")) > MAX_KEPT_TEXT:
        block["text"] = block["text"][:MAX_KEPT_TEXT] + " [cut]"
        return True
    if kind == "tool_use":
        changed = False
        for key, value in block.get("input", {}).items():
            if isinstance(value, str) and len(value) > MAX_KEPT_TEXT:
                block["input"][key] = value[:MAX_KEPT_TEXT] + " [cut]"
                changed = True
        return changed
    return False


def digest(messages: list[dict[str, Any]], budget_tokens: int = HISTORY_BUDGET_TOKENS) -> str:
    """The newest messages rendered as text lines, as many as fit the budget, oldest first."""
    budget = budget_tokens * CHARS_PER_TOKEN
    lines: list[str] = []
    for msg in reversed(messages):
        for line in reversed(_render(msg)):
            if len(line) + 1 > budget:
                return "\n".join(reversed(lines))
            lines.append(line)
            budget -= len(line) + 1
    return "\n".join(reversed(lines))


def _render(msg: dict[str, Any]) -> list[str]:
    role = msg.get("role", "?")
    content = msg.get("content")
    if isinstance(content, str):
        return [f"{role}: {_cut(content)}"]
    lines = []
    for block in content or []:
        kind = block.get("type")
        if kind == "text":
            lines.append(f"{role}: {_cut(block.get('text', ''))}")
        elif kind == "tool_use":
            lines.append(f"{role} called {block.get('name')}: {_cut(json.dumps(block.get('input')))}")
        elif kind == "tool_result":
            result = block.get("content")
            body = result if isinstance(result, str) else json.dumps(result)
            lines.append(f"tool result{' (error)' if block.get('is_error') else ''}: {_cut(body)}")
    return lines


def _cut(value: str, limit: int = 1_000) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[:limit] + " [cut]"


def estimate_tokens(messages: list[dict[str, Any]]) -> int:
    return len(json.dumps(messages)) // CHARS_PER_TOKEN


def texts(messages: list[dict[str, Any]]) -> str:
    """All text blocks of these messages, joined (for finding jada's own notes)."""
    parts: list[str] = []
    for msg in messages:
        content = msg.get("content")
        if isinstance(content, str):
            parts.append(content)
            continue
        parts += [b.get("text", "") for b in content or [] if b.get("type") == "text"]
    return "\n".join(parts)
