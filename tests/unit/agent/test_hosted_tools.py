"""Server tools and MCP servers: the settings' shapes, their definitions (checked against the SDK's
own types), the system prompt's lines, server-tool pricing, and log redaction of tokens."""

from __future__ import annotations

import json
import logging
from typing import Any, get_type_hints

import pytest
from anthropic.types import WebFetchTool20260318Param, WebSearchTool20260318Param
from anthropic.types.beta import BetaMCPToolsetParam, BetaRequestMCPServerURLDefinitionParam
from jada.agent import pricing, prompts
from jada.agent.tools import mcp, registry_for, server_tools
from jada.errors import ConfigurationError
from jada.models import Usage
from jada.redaction import REDACTED, install, protect
from jada.settings import Settings
from jada.tool_settings import McpServer
from pydantic import TypeAdapter

APPS = {"name": "apps-script", "url": "https://mcp.example.com/mcp", "tokenSecret": "jada/mcp/apps",
        "allowedTools": ["update_script", "read_script"]}  # fmt: skip


def keys_fit(definition: dict[str, Any], param: Any) -> None:
    """Every key is one the SDK's TypedDict declares, every required key is there, and pydantic
    validates the definition as that type."""
    hints = get_type_hints(param)
    assert set(definition) <= set(hints), set(definition) - set(hints)
    assert param.__required_keys__ <= set(definition)
    TypeAdapter(param).validate_python(definition)


# --- serverTools ------------------------------------------------------------------------------
def test_server_tools_are_names_or_objects_and_keep_a_fixed_order() -> None:
    settings = Settings(server_tools=[{"name": "web_fetch", "allowedDomains": ["sailjada.com"], "maxUses": 3},
                                      "web_search"])  # fmt: skip
    registry = registry_for(settings)
    hosted = registry.definitions()[len(registry_for(Settings()).definitions()) :]
    assert hosted == [
        {"type": "web_search_20260318", "name": "web_search"},
        {
            "type": "web_fetch_20260318",
            "name": "web_fetch",
            "allowed_domains": ["sailjada.com"],
            "max_uses": 3,
        },
    ]
    keys_fit(hosted[0], WebSearchTool20260318Param)
    keys_fit(hosted[1], WebFetchTool20260318Param)
    # the list form the design shows stays valid, and the value is kept as given
    assert Settings(server_tools=["web_search", "web_fetch"]).server_tools == ["web_search", "web_fetch"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["web_serch"], "[0].name: Input should be 'web_search' or 'web_fetch'"),
        (["web_search", "web_search"], "names a server tool twice"),
        ([{"name": "web_search", "maxUses": 0}], "[0].maxUses: Input should be greater than or equal to 1"),
        ([{"name": "web_search", "maxUses": 51}], "less than or equal to 50"),
        ([{"name": "web_fetch", "allowedDomains": ["https://a.com"]}], "is not a domain (no scheme"),
        ([{"name": "web_fetch", "allowedDomains": ["a.com"], "blockedDomains": ["b.com"]}], "not both"),
        (
            [{"name": "web_search", "allowed_domains": ["a.com"]}],
            "allowed_domains: Extra inputs are not permitted",
        ),
        ([7], "[0]: must be a tool name or an object"),
        ("web_search", "Input should be a valid list"),
    ],
)
def test_a_bad_server_tool_setting_is_refused_saying_why(value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        Settings.from_env({"SERVER_TOOLS": json.dumps(value)})
    assert "SERVER_TOOLS" in str(err.value)
    assert message in str(err.value)


# --- mcpServers -------------------------------------------------------------------------------
def test_an_mcp_server_is_a_toolset_with_its_allow_list_and_no_token() -> None:
    registry = registry_for(
        Settings(mcp_servers=[APPS, {"name": "docs", "url": "https://docs.example.com/mcp"}])
    )
    toolsets = registry.definitions()[len(registry_for(Settings()).definitions()) :]
    assert toolsets == [
        {"type": "mcp_toolset", "mcp_server_name": "apps-script", "default_config": {"enabled": False},
         "configs": {"update_script": {"enabled": True}, "read_script": {"enabled": True}}},
        {"type": "mcp_toolset", "mcp_server_name": "docs"},
    ]  # fmt: skip
    for toolset in toolsets:
        keys_fit(toolset, BetaMCPToolsetParam)
    assert "jada/mcp/apps" not in json.dumps(toolsets)


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ({"name": "a", "url": "http://mcp.example.com"}, "url must be https://"),
        ({"name": "a", "url": "https://user:pw@mcp.example.com"}, "not in the url"),
        ({"name": "a", "url": "https://"}, "url must be https://"),
        ({"name": "a b", "url": "https://mcp.example.com"}, "[0].name: String should match pattern"),
        ({"name": "a", "url": "https://mcp.example.com", "token": "t"}, "[0].token: Extra inputs"),
        (
            {"name": "a", "url": "https://mcp.example.com", "tokenSecret": "no spaces"},
            "Secrets Manager secret name",
        ),
        ({"name": "a", "url": "https://mcp.example.com", "allowedTools": ["x", "x"]}, "repeats a tool"),
        ({"url": "https://mcp.example.com"}, "[0].name: Field required"),
    ],
)
def test_a_bad_mcp_server_is_refused_saying_why(server: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        Settings.from_env({"MCP_SERVERS": json.dumps([server])})
    assert message in str(err.value)


def test_two_mcp_servers_with_one_name_are_refused() -> None:
    twice = [APPS, {**APPS, "url": "https://other.example.com"}]
    with pytest.raises(ConfigurationError, match="MCP_SERVERS names an MCP server twice"):
        Settings.from_env({"MCP_SERVERS": json.dumps(twice)})


class Tokens:
    """The token source's shape, for the pure request-options test (the secret-backed one is
    exercised against Secrets Manager in tests/functional/agent/test_hosted_tools.py)."""

    def token(self, server: McpServer) -> str:
        return f"token-of-{server.name}"


def test_request_options_carry_the_beta_and_each_server_with_its_token() -> None:
    from jada.agent.tools import Services

    settings = Settings(mcp_servers=[APPS, {"name": "docs", "url": "https://docs.example.com/mcp"}])
    options = mcp.request_options(settings, Services().provide(mcp.tokens_from, Tokens()))
    assert options == {
        "betas": ["mcp-client-2025-11-20"],
        "mcp_servers": [
            {
                "type": "url",
                "url": APPS["url"],
                "name": "apps-script",
                "authorization_token": "token-of-apps-script",
            },
            {"type": "url", "url": "https://docs.example.com/mcp", "name": "docs"},
        ],
    }
    for server in options["mcp_servers"]:
        keys_fit(server, BetaRequestMCPServerURLDefinitionParam)
    assert mcp.request_options(Settings(), Services()) == {}


# --- the system prompt ------------------------------------------------------------------------
def test_each_enabled_tool_adds_one_fixed_line_in_tool_order() -> None:
    settings = Settings(spreadsheet_id="s1", server_tools=["web_fetch", {"name": "web_search", "maxUses": 2}],
                        mcp_servers=[APPS])  # fmt: skip
    lines = registry_for(settings).guidance()
    assert [line.split(":")[0] for line in lines] == [
        "str_replace_based_edit_tool", "read_port_sheet", "web_search", "web_fetch", "MCP server apps-script",
    ]  # fmt: skip
    by_tool = {line.split(":")[0]: line for line in lines}
    assert "at most 2 uses" in by_tool["web_search"]
    assert "update_script, read_script" in by_tool["MCP server apps-script"]
    text = prompts.system_text(lines)
    assert text == prompts.system_text(registry_for(settings).guidance())
    assert text.startswith(prompts.SYSTEM_PROMPT)
    # the defaults enable only the editor: none of these lines
    default = prompts.system_text(registry_for(Settings()).guidance())
    assert not any(line in default for tool, line in by_tool.items() if tool != "str_replace_based_edit_tool")


def test_server_tool_guidance_names_the_domains() -> None:
    [tool] = server_tools.hosted(Settings(server_tools=[{"name": "web_search", "blockedDomains": ["x.com"]}]))
    assert "never x.com" in tool.guidance


# --- pricing ----------------------------------------------------------------------------------
class ApiUsage:
    def __init__(self, searches: int, fetches: int) -> None:
        self.input_tokens, self.output_tokens = 1000, 100
        self.cache_creation_input_tokens = self.cache_read_input_tokens = 0
        self.server_tool_use = type(
            "S", (), {"web_search_requests": searches, "web_fetch_requests": fetches}
        )()


def test_web_searches_cost_ten_dollars_per_thousand_and_fetches_only_their_tokens() -> None:
    tokens_only = pricing.cost_usd("claude-sonnet-5-5", Usage(input_tokens=1000, output_tokens=100))
    usage = pricing.usage_of("claude-sonnet-5-5", ApiUsage(searches=3, fetches=2))
    assert (usage.web_search_requests, usage.web_fetch_requests) == (3, 2)
    assert usage.cost_usd == pytest.approx(tokens_only + 0.03)
    assert (usage + usage).web_search_requests == 6


def test_usage_without_server_tools_is_priced_as_before() -> None:
    api = ApiUsage(0, 0)
    api.server_tool_use = None
    usage = pricing.usage_of("claude-sonnet-5-5", api)
    assert usage.web_search_requests == 0
    assert usage.cost_usd == pricing.cost_usd(
        "claude-sonnet-5-5", Usage(input_tokens=1000, output_tokens=100)
    )


# --- redaction --------------------------------------------------------------------------------
def test_a_protected_secret_never_reaches_a_log_record(caplog: pytest.LogCaptureFixture) -> None:
    secret = protect("mcp-token-unit-7f3a9c")
    protect("short")  # too short to be a secret: ignored
    caplog.set_level(logging.DEBUG)
    logging.getLogger("anthropic._base_client").debug("Request options: %s", {"authorization_token": secret})
    logging.getLogger("some.other").info(f"inline {secret} and short")
    assert secret not in caplog.text
    assert caplog.text.count(REDACTED) == 2
    assert "and short" in caplog.text


def test_secret_values_of_known_keys_are_redacted_before_anyone_registers_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # botocore logs a GetSecretValue response body at DEBUG, before jada has seen the value
    install()
    caplog.set_level(logging.DEBUG)
    body = b'{"ARN":"arn:aws:secretsmanager:...","Name":"jada/mcp/x","SecretString":"never-registered-51c0"}'
    logging.getLogger("botocore.parsers").debug("Response body:\n%r", body)
    logging.getLogger("anthropic._base_client").debug("%s", {"json_data": {"api_key": "sk-ant-unregistered"}})
    assert "never-registered-51c0" not in caplog.text
    assert "sk-ant-unregistered" not in caplog.text
    assert '"Name":"jada/mcp/x"' in caplog.text  # everything else is kept
