"""How a session ends, derived from its stored turns alone (so a retried batch agrees with the
batch that wrote them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jada.agent.conversation import CONTEXT_EXCEEDED, compact, rebuild
from jada.lifecycle import SessionOutcome
from jada.models import TurnRecord


@dataclass(frozen=True)
class Ending:
    outcome: SessionOutcome
    reason: str | None = None
    #: the model's final text, recorded as the task summary (end_turn without complete_task)
    summary: str | None = None


def ending_of(records: list[TurnRecord]) -> Ending | None:
    """The session's ending if its last stored turn ended it, else None."""
    if not records:
        return None
    last = records[-1]
    reply = _last_assistant(last.messages)
    stop = last.stop_reason
    if stop == "tool_use":
        ended = last.ended
        if ended is None:
            return None
        return Ending(ended.outcome, ended.reason if ended.outcome is SessionOutcome.BLOCKED else None)
    if stop in {"end_turn", "stop_sequence"}:
        summary = final_text(reply) or "The model ended the session without a summary."
        return Ending(SessionOutcome.COMPLETED, None, summary)
    if stop == "refusal":
        said = final_text(reply)
        return Ending(
            SessionOutcome.BLOCKED, "The model declined to continue" + (f": {said}" if said else ".")
        )
    if stop == CONTEXT_EXCEEDED and compact(rebuild(records[:-1]) + last.messages) is None:
        return Ending(SessionOutcome.FAILED, "context window exceeded and nothing left to compact")
    return None


def _last_assistant(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for msg in reversed(messages):
        if msg.get("role") == "assistant":
            content = msg.get("content")
            return content if isinstance(content, list) else [{"type": "text", "text": str(content)}]
    return []


def final_text(content: list[dict[str, Any]]) -> str:
    return "\n".join(b.get("text", "") for b in content if b.get("type") == "text").strip()
