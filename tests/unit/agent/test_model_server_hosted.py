"""The loopback Messages API fake with server tools and the MCP connector, through the real SDK
(GA and beta endpoints) with strict response validation."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest
from anthropic import Anthropic
from jada_tools.fakes.model_server import (
    ModelServer,
    mcp_tool_result,
    mcp_tool_use,
    paused,
    reply,
    scripted,
    server_tool_use,
    text,
    usage,
    web_fetch_result,
    web_search_result,
)

HELLO = [{"role": "user", "content": "hello"}]
SERVER = {
    "type": "url",
    "url": "https://mcp.example.com/mcp",
    "name": "apps",
    "authorization_token": "t0k3n-abc",
}
TOOLSET = {"type": "mcp_toolset", "mcp_server_name": "apps"}
BETA = "mcp-client-2025-11-20"


def client(server: ModelServer) -> Anthropic:
    return Anthropic(base_url=server.base_url, api_key="k", max_retries=0, _strict_response_validation=True)


def test_a_paused_reply_with_server_tool_blocks_and_usage_validates_strictly() -> None:
    search = server_tool_use("web_search", {"query": "q"}, "srvtoolu_1")
    blocks = [search, web_search_result("srvtoolu_1", ("T", "https://t.example")),
              server_tool_use("web_fetch", {"url": "https://t.example"}, "srvtoolu_2"),
              web_fetch_result("srvtoolu_2", "https://t.example", "page")]  # fmt: skip
    body = paused(*blocks, usage_block=usage(web_search_requests=1, web_fetch_requests=1))
    with ModelServer(scripted(body)) as server:
        message = client(server).messages.create(model="m", max_tokens=10, messages=HELLO)  # type: ignore[arg-type]
    assert message.stop_reason == "pause_turn"
    assert [b.type for b in message.content] == [
        "server_tool_use", "web_search_tool_result", "server_tool_use", "web_fetch_tool_result",
    ]  # fmt: skip
    assert message.usage.server_tool_use is not None
    assert (
        message.usage.server_tool_use.web_search_requests,
        message.usage.server_tool_use.web_fetch_requests,
    ) == (1, 1)
    assert [b.to_dict() for b in message.content] == blocks  # a round trip keeps every field


def test_beta_mcp_requests_are_recorded_with_their_header() -> None:
    blocks = [
        mcp_tool_use("apps", "update", {"a": 1}, "mcptoolu_1"),
        mcp_tool_result("mcptoolu_1", "done"),
        text("ok"),
    ]
    with ModelServer(scripted(reply(*blocks))) as server:
        message = client(server).beta.messages.create(
            model="m", max_tokens=10, messages=HELLO, tools=[TOOLSET], mcp_servers=[SERVER],  # type: ignore[list-item]
            betas=["mcp-client-2025-11-20"],
        )  # fmt: skip
    assert [b.type for b in message.content] == ["mcp_tool_use", "mcp_tool_result", "text"]
    assert [b.to_dict() for b in message.content] == blocks
    assert server.requests[0]["mcp_servers"] == [SERVER]
    assert server.headers[0]["anthropic-beta"] == "mcp-client-2025-11-20"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tools": [TOOLSET], "mcp_servers": [SERVER]}, "need the anthropic-beta header"),
        ({"tools": [TOOLSET], "mcp_servers": [], "betas": [BETA]}, "exactly one mcp_toolset"),
        ({"mcp_servers": [SERVER], "betas": [BETA]}, "exactly one mcp_toolset"),
        ({"tools": [TOOLSET], "mcp_servers": [{**SERVER, "url": "http://mcp.example.com"}], "betas": [BETA]},
         "url must start with https://"),
    ],
)  # fmt: skip
def test_a_connector_request_the_real_api_would_refuse_gets_a_400(
    kwargs: dict[str, Any], message: str
) -> None:
    with ModelServer(scripted(reply(text("ok")))) as server, pytest.raises(anthropic.BadRequestError) as err:
        client(server).beta.messages.create(model="m", max_tokens=10, messages=HELLO, **kwargs)  # type: ignore[arg-type]
    assert message in str(err.value)
