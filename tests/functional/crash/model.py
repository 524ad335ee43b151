"""The scripted model of the crash scenarios: replies chosen by task and turn, as a real model's
would be chosen by the conversation, with fresh tool_use ids on every response (a repeated call
gets new ids, as from the real API)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from jada.agent.prompts import RESUME_MARK
from jada_tools.fakes.model_server import Response, bad_request, reply, text, tool_use


@dataclass(frozen=True)
class Call:
    """A tool call in a reply."""

    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Reject:
    """The API refuses the request (400): an error the state machine does not retry."""

    message: str = "messages: roles must alternate"


Turn = tuple[Call | Say | Reject, ...]
#: what the model does in a task it has no script for (children, say): finish at once
FINISH: tuple[Turn, ...] = ((Call("complete_task", {"summary": "Done."}),),)


def opening_text(request: dict[str, Any]) -> str:
    content = request["messages"][0]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content if isinstance(b, dict))


@dataclass(frozen=True)
class Script:
    """A task's turns in its first session, and in the sessions that resume it."""

    first: tuple[Turn, ...]
    resumed: tuple[Turn, ...] = FINISH


class ScriptedModel:
    """`scripts[marker]`: the script of the task whose prompt holds `marker`; in a session, turn n
    gets the session's n-th turn, the last one repeating."""

    def __init__(self) -> None:
        self.scripts: dict[str, Script] = {}

    def __call__(self, request: dict[str, Any]) -> Response:
        opening = opening_text(request)
        script = next((s for marker, s in self.scripts.items() if marker in opening), Script(FINISH))
        turns = script.resumed if opening.lstrip().startswith(RESUME_MARK) else script.first
        done = sum(1 for m in request["messages"] if m["role"] == "assistant")
        turn = turns[min(done, len(turns) - 1)]
        rejected = [b for b in turn if isinstance(b, Reject)]
        if rejected:
            return bad_request(rejected[0].message)
        blocks = [
            tool_use(b.name, b.input, f"toolu_{uuid.uuid4().hex[:20]}")
            if isinstance(b, Call)
            else text(b.text)
            for b in turn
            if not isinstance(b, Reject)
        ]
        return reply(*blocks)
