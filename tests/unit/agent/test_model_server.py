"""The loopback Messages API fake, through the real SDK with strict response validation."""

from __future__ import annotations

import anthropic
import pytest
from anthropic import Anthropic
from jada_tools.fakes.model_server import ModelServer, reply, scripted, text, tool_use, usage


def test_responses_validate_strictly_and_requests_are_recorded() -> None:
    body = reply(text("hi"), tool_use("x", {"a": 1}, "toolu_1"), usage_block=usage(cache_read_input_tokens=7))
    with ModelServer(scripted(body)) as server:
        client = Anthropic(
            base_url=server.base_url, api_key="k", max_retries=0, _strict_response_validation=True
        )
        message = client.messages.create(
            model="claude-sonnet-5-5", max_tokens=10, messages=[{"role": "user", "content": "hello"}]
        )
        counted = client.messages.count_tokens(
            model="claude-sonnet-5-5", messages=[{"role": "user", "content": "hello"}]
        )
    assert message.stop_reason == "tool_use"
    assert message.usage.cache_read_input_tokens == 7
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert server.requests == [
        {"model": "claude-sonnet-5-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hello"}]}
    ]
    assert counted.input_tokens > 0


def test_scripted_responses_play_in_order_and_the_last_repeats() -> None:
    from jada_tools.fakes.model_server import overloaded

    with ModelServer(scripted(overloaded(), reply(text("ok")))) as server:
        client = Anthropic(base_url=server.base_url, api_key="k", max_retries=0)
        with pytest.raises(anthropic.OverloadedError):
            client.messages.create(model="m", max_tokens=1, messages=[{"role": "user", "content": "x"}])
        for _ in range(2):
            reply_ = client.messages.create(
                model="m", max_tokens=1, messages=[{"role": "user", "content": "x"}]
            )
            assert reply_.content[0].type == "text"
    assert len(server.requests) == 3
