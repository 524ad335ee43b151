"""Blocks of tools Anthropic runs (server tools, MCP) in the conversation: kept verbatim by
compaction (web results) or cleared like tool results (MCP results), named in the resume digest,
and cache breakpoints placed only on blocks that take one."""

from __future__ import annotations

import copy
from typing import Any

from jada.agent.conversation import CLEARED, compact, digest
from jada.agent.prompts import build_request
from jada_tools.fakes.model_server import (
    mcp_tool_result,
    mcp_tool_use,
    server_tool_use,
    text,
    web_fetch_result,
    web_search_result,
)

SEARCH = server_tool_use("web_search", {"query": "Split marina berths"}, "srvtoolu_1")
FOUND = web_search_result(
    "srvtoolu_1", ("ACI Split", "https://aci-marinas.com/split"), ("Port", "https://port.hr")
)
FETCH = server_tool_use("web_fetch", {"url": "https://port.hr/fees"}, "srvtoolu_2")
FETCHED = web_fetch_result("srvtoolu_2", "https://port.hr/fees", "Fees: 3 EUR/m " * 200)
CALL = mcp_tool_use("apps-script", "update_script", {"file": "BookingAutomation.gs"}, "mcptoolu_1")
RESULT = mcp_tool_result("mcptoolu_1", "updated " + "x" * 2000)


def session(rounds: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": [text("the task")]}]
    for _ in range(rounds):
        blocks = [SEARCH, FOUND, FETCH, FETCHED, CALL, RESULT, text("y" * 1000)]
        messages.append({"role": "assistant", "content": copy.deepcopy(blocks)})
        messages.append({"role": "user", "content": [text("go on")]})
    return messages


def test_compaction_keeps_web_results_verbatim_and_clears_old_mcp_results() -> None:
    messages = session(4)
    compacted = compact(messages)
    assert compacted is not None
    old = compacted[1]["content"]
    assert old[:4] == [SEARCH, FOUND, FETCH, FETCHED]
    assert old[4] == CALL
    assert old[5]["content"] == CLEARED
    assert old[6]["text"].endswith(" [cut]")
    assert compacted[-2] == messages[-2]  # the latest messages stay intact


def test_the_digest_names_server_tool_and_mcp_calls_and_their_results() -> None:
    lines = digest(session(1)).splitlines()
    assert 'assistant called web_search: {"query": "Split marina berths"}' in lines
    assert "web search results: ACI Split (https://aci-marinas.com/split); Port (https://port.hr)" in lines
    assert "web fetch result: https://port.hr/fees" in lines
    assert 'assistant called apps-script.update_script: {"file": "BookingAutomation.gs"}' in lines
    assert any(line.startswith("MCP tool result: updated xxx") and line.endswith("[cut]") for line in lines)


def test_a_search_error_is_named_in_the_digest() -> None:
    error = {"type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"}
    failed = {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_9", "content": error}
    assert "web search results: max_uses_exceeded" in digest([{"role": "assistant", "content": [failed]}])


def test_the_breakpoint_skips_blocks_that_take_none() -> None:
    listing = {"type": "mcp_tool_listing", "mcp_server_name": "apps-script", "tools": []}
    messages = [
        {"role": "user", "content": [text("t")]},
        {"role": "assistant", "content": [SEARCH, FOUND, listing]},
    ]
    sent = build_request("m", messages, [])["messages"][-1]["content"]
    assert sent[1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in sent[2]
    assert "cache_control" not in messages[-1]["content"][1]  # the checkpointed copy is untouched
