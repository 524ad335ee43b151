"""Server tools and MCP servers in real turns: the real anthropic client against the loopback
Messages API (which checks the MCP connector's request like the real API), stores and secrets in
moto. Request shapes, the pause_turn continuation, checkpointed server and MCP blocks, server-tool
cost, and the MCP token kept out of every log, output and stored item."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from jada.agent import prompts
from jada.agent.pricing import cost_usd
from jada.errors import ConfigurationError
from jada.models import Usage
from jada.telemetry import logger
from jada_tools.fakes.model_server import (
    mcp_tool_result,
    mcp_tool_use,
    paused,
    reply,
    scripted,
    server_tool_use,
    text,
    tool_use,
    usage,
    web_fetch_result,
    web_search_result,
)

from tests.conftest import Cloud
from tests.functional.agent.conftest import Harness
from tests.functional.agent.test_turn_batch import fail_checkpoint_write_once, unmarked
from tests.functional.agent.work_tools import (
    APPS_SCRIPT,
    EVERY_TOOL,
    MCP_SECRET,
    MCP_TOKEN,
    SHEET_TABLE,
    agent_with,
    work_cloud,
)

pytestmark = pytest.mark.usefixtures(work_cloud.__name__)

SEARCH = server_tool_use("web_search", {"query": "Split marina berth prices"}, "srvtoolu_search1")
FOUND = web_search_result("srvtoolu_search1", ("ACI Split", "https://aci-marinas.com/split"))
FETCH = server_tool_use("web_fetch", {"url": "https://sailjada.com/"}, "srvtoolu_fetch1")
FETCHED = web_fetch_result("srvtoolu_fetch1", "https://sailjada.com/", "Sail Jada: crewed charters")
MCP_CALL = mcp_tool_use("apps-script", "update_script", {"file": "BookingAutomation.gs"}, "mcptoolu_1")
MCP_RESULT = mcp_tool_result("mcptoolu_1", "BookingAutomation.gs updated (version 12)")


def stored_assistant(cloud: Cloud, task_id: str, turn: int) -> list[dict[str, Any]]:
    record = cloud.checkpoints().load_session(task_id, 1)[turn - 1]
    [assistant] = [m for m in record.messages if m["role"] == "assistant"]
    content: list[dict[str, Any]] = assistant["content"]
    return content


# --- server tools -----------------------------------------------------------------------------
def test_server_tools_follow_the_client_tools_and_need_no_beta(harness: Harness) -> None:
    harness.script(scripted(reply(text("done"))))
    settings = {"server_tools": EVERY_TOOL["server_tools"]}
    harness.run(harness.task(), agent=agent_with(harness, **settings))
    [request] = harness.server.requests
    tools = request["tools"]
    assert [t.get("name") for t in tools][-3:] == ["do_step", "web_search", "web_fetch"]
    assert tools[-2] == {"type": "web_search_20260318", "name": "web_search"}
    assert tools[-1] == {
        "type": "web_fetch_20260318", "name": "web_fetch", "allowed_domains": ["sailjada.com"], "max_uses": 3,
        "cache_control": {"type": "ephemeral"},
    }  # fmt: skip
    assert "anthropic-beta" not in harness.server.headers[0]
    assert "mcp_servers" not in request
    assert "web_search: search the web" in request["system"][0]["text"]


def test_pause_turn_is_continued_with_the_content_sent_back_as_the_last_message(
    harness: Harness, work_cloud: Cloud
) -> None:
    # Given a model whose first reply the server paused mid-search
    task = harness.task()
    harness.script(
        scripted(
            paused(SEARCH, FOUND, usage_block=usage(web_search_requests=1)),
            reply(
                FETCH,
                FETCHED,
                text("Berths at ACI Split cost 90 EUR."),
                usage_block=usage(web_fetch_requests=1),
            ),
        )
    )
    agent = agent_with(harness, server_tools=EVERY_TOOL["server_tools"], turns_per_batch=1)
    # When one batch runs the first turn, and the next batch (a new invocation) continues
    first = harness.run(task, agent=agent)
    assert (first.status, first.turns) == ("continue", 1)
    # Then the paused content is checkpointed verbatim
    assert stored_assistant(work_cloud, task.task_id, 1) == [SEARCH, FOUND]
    second = harness.run(task, agent=agent_with(harness, server_tools=EVERY_TOOL["server_tools"]))
    # And the continuation sent it back unchanged as the last message, with no new user message
    opening, continued = unmarked(harness.server.requests[1]["messages"])
    assert opening["role"] == "user"
    assert continued == {"role": "assistant", "content": [SEARCH, FOUND]}
    assert harness.server.requests[1]["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    # And the continuation is a turn of its own; the session ends on the final reply
    assert (second.status, second.turns) == ("completed", 2)
    assert stored_assistant(work_cloud, task.task_id, 2)[:2] == [FETCH, FETCHED]
    stored = work_cloud.tasks().get(task.task_id)
    assert stored.summary == "Berths at ACI Split cost 90 EUR."
    assert (stored.usage.web_search_requests, stored.usage.web_fetch_requests) == (1, 1)


def test_a_search_is_priced_into_the_turn_and_the_task(harness: Harness, work_cloud: Cloud) -> None:
    task = harness.task()
    harness.script(scripted(reply(SEARCH, FOUND, text("found"), usage_block=usage(web_search_requests=4))))
    result = harness.run(task, agent=agent_with(harness, server_tools=["web_search"]))
    tokens = cost_usd("claude-sonnet-5-5", Usage(input_tokens=100, output_tokens=20))
    assert result.usage.cost_usd == pytest.approx(tokens + 0.04)
    assert work_cloud.tasks().get(task.task_id).usage.cost_usd == pytest.approx(tokens + 0.04)
    assert work_cloud.tasks().get(task.task_id).sessions["1"].usage.web_search_requests == 4


def test_a_crash_after_a_paused_reply_replays_the_stored_reply(harness: Harness, work_cloud: Cloud) -> None:
    # Given the turn checkpoint of a paused reply fails once (the reply itself was stored first)
    task = harness.task()
    harness.script(scripted(paused(SEARCH, FOUND), reply(text("done"))))
    agent = agent_with(harness, server_tools=["web_search"], turns_per_batch=1)
    fail_checkpoint_write_once(agent, lambda key: key.startswith("s"))
    with pytest.raises(EndpointConnectionError):
        harness.run(task, agent=agent)
    # When the batch is retried, Then it checkpoints the stored reply without calling the model again
    assert harness.run(task, agent=agent).turns == 1
    assert len(harness.server.requests) == 1
    assert stored_assistant(work_cloud, task.task_id, 1) == [SEARCH, FOUND]


def test_a_resumed_session_reads_the_earlier_searches_in_its_history(harness: Harness) -> None:
    task = harness.task()
    harness.script(scripted(paused(SEARCH, FOUND), reply(text("resumed"))))
    harness.run(task, agent=agent_with(harness, server_tools=["web_search"], turns_per_session=1))
    harness.run(task, session=2, agent=agent_with(harness, server_tools=["web_search"], turns_per_session=1))
    opening = harness.server.requests[1]["messages"][0]["content"][0]["text"]
    assert prompts.RESUME_MARK in opening
    assert 'assistant called web_search: {"query": "Split marina berth prices"}' in opening
    assert "web search results: ACI Split (https://aci-marinas.com/split)" in opening


# --- MCP servers ------------------------------------------------------------------------------
def mcp_session(harness: Harness, **settings: Any) -> Any:
    task = harness.task()
    harness.script(scripted(reply(MCP_CALL, MCP_RESULT, text("Script updated."))))
    return task, harness.run(task, agent=agent_with(harness, mcp_servers=[APPS_SCRIPT], **settings))


def test_an_mcp_request_uses_the_beta_with_the_server_and_its_toolset(
    harness: Harness, work_cloud: Cloud
) -> None:
    task, result = mcp_session(harness)
    assert result.status == "completed"
    [request] = harness.server.requests
    assert harness.server.headers[0]["anthropic-beta"] == "mcp-client-2025-11-20"
    assert request["mcp_servers"] == [
        {
            "type": "url",
            "url": "https://mcp.example.com/mcp",
            "name": "apps-script",
            "authorization_token": MCP_TOKEN,
        }
    ]
    assert request["tools"][-1] == {
        "type": "mcp_toolset", "mcp_server_name": "apps-script", "default_config": {"enabled": False},
        "configs": {"update_script": {"enabled": True}}, "cache_control": {"type": "ephemeral"},
    }  # fmt: skip
    # the MCP blocks are checkpointed as they came
    assert stored_assistant(work_cloud, task.task_id, 1) == [MCP_CALL, MCP_RESULT, text("Script updated.")]


def test_a_server_without_a_token_secret_is_sent_without_a_token(harness: Harness) -> None:
    harness.script(scripted(reply(text("ok"))))
    public = {"name": "docs", "url": "https://docs.example.com/mcp"}
    harness.run(harness.task(), agent=agent_with(harness, mcp_servers=[public]))
    assert harness.server.requests[0]["mcp_servers"] == [
        {"type": "url", "url": public["url"], "name": "docs"}
    ]


@pytest.mark.parametrize(
    ("secret_value", "message"),
    [("", "holds no token"), ('{"token": ""}', "holds no token"), (None, "cannot be read")],
)
def test_a_missing_or_empty_token_secret_is_a_configuration_error(
    harness: Harness, secret_value: str | None, message: str
) -> None:
    secrets = boto3.client("secretsmanager")
    if secret_value is None:
        secrets.delete_secret(SecretId=MCP_SECRET, ForceDeleteWithoutRecovery=True)
    else:
        secrets.put_secret_value(SecretId=MCP_SECRET, SecretString=secret_value or " ")
    harness.script(scripted(reply(text("ok"))))
    with pytest.raises(ConfigurationError) as err:
        harness.run(harness.task(), agent=agent_with(harness, mcp_servers=[APPS_SCRIPT]))
    assert f"MCP server apps-script: its token secret '{MCP_SECRET}' {message}" in str(err.value)
    assert harness.server.requests == []


def test_a_json_token_secret_is_read_too(harness: Harness) -> None:
    boto3.client("secretsmanager").put_secret_value(
        SecretId=MCP_SECRET, SecretString='{"token": "tok-json-0001"}'
    )
    mcp_session(harness)
    assert harness.server.requests[0]["mcp_servers"][0]["authorization_token"] == "tok-json-0001"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """Every log line of the turn at DEBUG: the SDK's own (root), and jada's Powertools logger."""
    caplog.set_level(logging.DEBUG)
    jada_log = logger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.getLogger(jada_log.name).handlers[0].formatter)
    logging.getLogger(jada_log.name).addHandler(handler)
    level = jada_log.log_level
    jada_log.setLevel("DEBUG")
    yield stream
    jada_log.setLevel(level)
    logging.getLogger(jada_log.name).removeHandler(handler)


def test_the_mcp_token_never_leaves_the_request(
    harness: Harness,
    work_cloud: Cloud,
    debug_logs: io.StringIO,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # When a session with an MCP server runs at DEBUG (the SDK logs request bodies at DEBUG)
    _, result = mcp_session(harness)
    # Then the token reached the Messages API
    assert MCP_TOKEN.encode() in harness.server.raw_requests[0]
    assert "Request options" in caplog.text  # the SDK did log the request body
    assert "turn done" in debug_logs.getvalue()
    # And nothing else holds it: logs, output, the batch's result, stored items, the task
    out, err = capfd.readouterr()
    stored = [
        boto3.client("dynamodb").scan(TableName=table)["Items"]
        for table in (work_cloud.checkpoints_table, work_cloud.tasks_table, SHEET_TABLE)
    ]
    for where, captured in {
        "the SDK's and library logs": caplog.text,
        "jada's logs": debug_logs.getvalue(),
        "stdout and stderr": out + err,
        "the batch result": result.model_dump_json() + json.dumps(result.output()),
        "stored items": json.dumps(stored, default=str),
    }.items():
        assert MCP_TOKEN not in captured, where
    assert "[redacted]" in caplog.text


# --- every tool at once -----------------------------------------------------------------------
def test_every_tool_enabled_keeps_system_and_tools_byte_identical_across_turns(harness: Harness) -> None:
    task = harness.task()
    steps = [reply(tool_use("do_step", {"step": str(n)}, f"toolu_s{n}")) for n in range(3)]
    harness.script(scripted(*steps, paused(SEARCH, FOUND), reply(text("done"))))
    result = harness.run(task, agent=agent_with(harness, **EVERY_TOOL, turns_per_batch=10))
    assert result.status == "completed"
    requests = harness.server.requests
    assert len(requests) == 5
    prefixes = {json.dumps([r["tools"], r["system"], r["mcp_servers"]]) for r in requests}
    assert len(prefixes) == 1
    names = [t.get("name") or t.get("mcp_server_name") for t in requests[0]["tools"]]
    assert names == [
        "complete_task", "create_task", "save_progress", "block_task", "str_replace_based_edit_tool",
        "read_port_sheet", "do_step",
        "web_search", "web_fetch", "apps-script",
    ]  # fmt: skip
    lines = requests[0]["system"][0]["text"].split("Tools of this deployment:\n")[1].splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "- str_replace_based_edit_tool", "- read_port_sheet", "- web_search", "- web_fetch",
        "- MCP server apps-script",
    ]  # fmt: skip
    assert {h["anthropic-beta"] for h in harness.server.headers} == {"mcp-client-2025-11-20"}
