"""A Messages API reply checked at the edge, before the turn loop relies on it or stores it.

The SDK builds its response objects without validation (the default), so a broken reply (a
non-JSON or non-object body, a block without a type, a tool_use without an id or with an id used
twice, a text that is not text, token counts that are not counts) would otherwise surface as a
KeyError or TypeError deep in the loop. Such a reply raises ModelUnavailable, as the SDK's own
validation error does: the state machine retries it, then fails the session with the reason.
Blocks of unknown types are kept as they are (the API may add types; they go back unchanged).
A reply without usage counts as zero tokens (and is logged): its content is still good.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError

from jada.agent.pricing import usage_of
from jada.errors import ModelUnavailable
from jada.models import Usage
from jada.telemetry import logger

#: more tokens than any reply can count: a larger value is not a count
MAX_TOKENS = 10**9
TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


class ModelReply(BaseModel):
    """What a turn keeps of a Messages API response."""

    content: list[dict[str, Any]]
    stop_reason: str | None
    usage: Usage = Field(default_factory=Usage)


def reply_of(model: str, response: Any) -> ModelReply:
    """The reply in the shape the turn loop relies on; ModelUnavailable when it is malformed."""
    content = getattr(response, "content", None)
    if not isinstance(content, list):
        raise _malformed(f"its content is not a list of blocks (got {type(content).__name__})")
    blocks = [_block(item, i) for i, item in enumerate(content)]
    ids = [b["id"] for b in blocks if b["type"] == "tool_use"]
    if len(set(ids)) != len(ids):
        raise _malformed("two tool_use blocks share one id")
    stop = getattr(response, "stop_reason", None)
    if stop is not None and not isinstance(stop, str):
        raise _malformed("its stop_reason is not text")
    return ModelReply(content=blocks, stop_reason=stop, usage=_usage(model, getattr(response, "usage", None)))


def _block(item: Any, index: int) -> dict[str, Any]:
    data = item.to_dict() if hasattr(item, "to_dict") else item
    where = f"content block {index}"
    if not isinstance(data, dict) or not isinstance(data.get("type"), str) or not data["type"]:
        raise _malformed(f"{where} is not a block with a type")
    kind = data["type"]
    if kind == "text" and not isinstance(data.get("text"), str):
        raise _malformed(f"{where} is a text block without text")
    if kind == "tool_use":
        if not isinstance(data.get("id"), str) or not data["id"]:
            raise _malformed(f"{where} is a tool_use block without an id")
        if not isinstance(data.get("name"), str):
            raise _malformed(f"{where} is a tool_use block without a name")
        if not isinstance(data.get("input"), dict):
            raise _malformed(f"{where} is a tool_use block whose input is not an object")
    return data


def _usage(model: str, usage: Any) -> Usage:
    if usage is None:
        logger().warning("the model's reply has no usage: counted as zero tokens")
        return Usage()
    for name in TOKEN_FIELDS:
        value = getattr(usage, name, None)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_TOKENS
        ):
            raise _malformed(f"its usage.{name} is not a token count")
    try:
        return usage_of(model, usage)
    except (ValidationError, TypeError, AttributeError) as exc:
        raise _malformed(f"its usage cannot be read: {exc}") from exc


def _malformed(problem: str) -> ModelUnavailable:
    return ModelUnavailable(f"the Messages API sent a malformed reply: {problem}", malformed=True)
