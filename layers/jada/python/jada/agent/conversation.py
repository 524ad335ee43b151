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
    """Shrink one old block in place. Server-tool blocks (web search and fetch results, whose
    content is partly encrypted) are kept as they are: the API wants them back unchanged."""
    kind = block.get("type")
    if kind in {"tool_result", "mcp_tool_result"} and block.get("content") != CLEARED:
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
        elif kind in {"server_tool_use", "mcp_tool_use"}:
            where = f"{block.get('server_name')}." if kind == "mcp_tool_use" else ""
            lines.append(f"{role} called {where}{block.get('name')}: {_cut(json.dumps(block.get('input')))}")
        elif kind in HOSTED_RESULTS:
            lines.append(f"{HOSTED_RESULTS[kind]}: {_cut(_hosted_result(block))}")
    return lines


#: result blocks of tools Anthropic runs, as the digest names them
HOSTED_RESULTS = {
    "web_search_tool_result": "web search results",
    "web_fetch_tool_result": "web fetch result",
    "mcp_tool_result": "MCP tool result",
}


def _hosted_result(block: dict[str, Any]) -> str:
    """A server-tool or MCP result as a line: titles and URLs, an error code, or the text."""
    content = block.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, dict):  # a web fetch result or an error
        return str(content.get("error_code") or content.get("url") or json.dumps(content))
    parts = []
    for item in content or []:
        if isinstance(item, dict) and item.get("type") == "web_search_result":
            parts.append(f"{item.get('title')} ({item.get('url')})")
        elif isinstance(item, dict) and item.get("type") == "text":
            parts.append(str(item.get("text", "")))
    return "; ".join(parts)


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
