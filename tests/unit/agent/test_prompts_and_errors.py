from __future__ import annotations

import copy

import anthropic
import httpx2
import pytest
from jada.agent.client import LOCAL_PLACEHOLDER_KEY, api_key
from jada.agent.model_errors import RETRY_AFTER_CAP_S, to_jada_error
from jada.agent.prompts import build_request
from jada.errors import ConfigurationError, ModelRateLimited, ModelRequestRejected, ModelUnavailable
from jada.settings import Resources


def test_build_request_marks_the_newest_message_without_touching_the_stored_messages() -> None:
    messages = [{"role": "user", "content": "hello"}]
    original = copy.deepcopy(messages)
    request = build_request("claude-sonnet-5-5", messages, [{"name": "a"}, {"name": "b"}])
    assert messages == original
    assert request["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "hello", "cache_control": {"type": "ephemeral"}}],
        }
    ]
    assert "cache_control" not in request["tools"][0]
    assert request["tools"][1]["cache_control"] == {"type": "ephemeral"}


def status_error(cls: type[anthropic.APIStatusError], status: int, headers: dict[str, str]) -> Exception:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/messages")
    response = httpx2.Response(status, headers=headers, request=request)
    return cls("error", response=response, body={"type": "error", "error": {"type": "x", "message": "m"}})


def test_retry_after_is_honoured_but_capped() -> None:
    error = to_jada_error(status_error(anthropic.RateLimitError, 429, {"retry-after": "3600"}))
    assert isinstance(error, ModelRateLimited)
    assert error.details["retry_after"] == RETRY_AFTER_CAP_S
    quick = to_jada_error(status_error(anthropic.RateLimitError, 429, {"retry-after-ms": "1500"}))
    assert quick.details["retry_after"] == 1.5


@pytest.mark.parametrize(
    ("cls", "status", "expected"),
    [
        (anthropic.ConflictError, 409, ModelUnavailable),
        (anthropic.InternalServerError, 500, ModelUnavailable),
        (anthropic.NotFoundError, 404, ModelRequestRejected),
    ],
)
def test_status_errors_map_to_named_errors(
    cls: type[anthropic.APIStatusError], status: int, expected: type
) -> None:
    assert isinstance(to_jada_error(status_error(cls, status, {})), expected)


def test_connection_errors_are_unavailable() -> None:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/messages")
    assert isinstance(to_jada_error(anthropic.APITimeoutError(request)), ModelUnavailable)


def test_api_key_precedence_env_then_secret_then_local_placeholder() -> None:
    none = Resources()
    assert api_key(none, {"ANTHROPIC_API_KEY": "k1", "ANTHROPIC_BASE_URL": "http://x"}) == "k1"
    assert api_key(none, {"ANTHROPIC_BASE_URL": "http://127.0.0.1:1"}) == LOCAL_PLACEHOLDER_KEY
    with pytest.raises(ConfigurationError, match="ANTHROPIC_SECRET_ID"):
        api_key(none, {})
