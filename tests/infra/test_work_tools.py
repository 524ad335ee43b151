"""The turn batch's IAM for the port sheet, web and MCP tools: it reads exactly the sheet table
(read-only, only when a sheet is configured) and exactly the configured MCP servers' secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jada.settings import Settings
from jada.telemetry import STACK_NAME

from tests.infra.conftest import only
from tests.infra.test_orchestration import actions, fn, policy_statements

MCP_SERVERS = [
    {"name": "apps-script", "url": "https://mcp.example.com/mcp", "tokenSecret": "jada/mcp/apps-script",
     "allowedTools": ["update_script"]},
    {"name": "bookings", "url": "https://bookings.example.com/mcp", "tokenSecret": "ops/bookings-token"},
    {"name": "public-docs", "url": "https://docs.example.com/mcp"},
]  # fmt: skip
CONTEXT = {
    "aws:cdk:bundling-stacks": [],
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:disable-asset-staging": True,
    "alertEmail": "ops@example.com",
    "spreadsheetId": "sheet-abc123",
    "serverTools": ["web_search", {"name": "web_fetch", "allowedDomains": ["sailjada.com"]}],
    "mcpServers": MCP_SERVERS,
}


@pytest.fixture(scope="module")
def tpl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The app with every hosted work tool configured, synthesized with cdk-nag's checks on (a
    finding would fail the synth)."""
    from jada_infra.app import build_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDK_VALIDATION", "false")
        app = build_app(context=CONTEXT, outdir=str(tmp_path_factory.mktemp("out")), nag=True)
        template: dict[str, Any] = app.synth().get_stack_by_name(STACK_NAME).template
    return template


def secret_resources(tpl: dict[str, Any], folder: str) -> list[Any]:
    found = []
    for st in policy_statements(tpl, folder):
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        if any(a.startswith("secretsmanager:") for a in acts):
            found += st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
    return found


def sheet_statements(tpl: dict[str, Any], folder: str) -> list[dict[str, Any]]:
    table = only(tpl, "AWS::DynamoDB::Table", "SheetSyncSheetTable")[0]
    return [st for st in policy_statements(tpl, folder) if table in json.dumps(st["Resource"])]


def test_the_turn_batch_reads_exactly_the_configured_mcp_secrets(tpl: dict[str, Any]) -> None:
    resources = json.dumps(secret_resources(tpl, "turn_batch"))
    # the Anthropic key, and the two servers that name a token secret (by name: any version suffix)
    assert len(secret_resources(tpl, "turn_batch")) == 3
    assert ":secret:jada/mcp/apps-script-??????" in resources
    assert ":secret:ops/bookings-token-??????" in resources
    assert "GoogleToken" not in resources
    mcp = [st for st in policy_statements(tpl, "turn_batch") if "secret:jada/mcp" in json.dumps(st)]
    assert {a for st in mcp for a in st["Action"]} == {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    }
    # the stack creates no secret for them, and no other function reads them
    secrets = json.dumps(list(tpl["Resources"].values()))
    assert secrets.count("AWS::SecretsManager::Secret") == 2  # the Anthropic key and the Google token
    for folder in ("poll", "session_end", "sheet_sync"):
        assert "jada/mcp" not in json.dumps(policy_statements(tpl, folder))


def test_the_turn_batch_reads_the_sheet_table_read_only(tpl: dict[str, Any]) -> None:
    [statement] = sheet_statements(tpl, "turn_batch")
    assert statement["Action"] == "dynamodb:Query"
    env = fn(tpl, "turn_batch")["Environment"]["Variables"]
    table = only(tpl, "AWS::DynamoDB::Table", "SheetSyncSheetTable")[0]
    assert env["SHEET_TABLE"] == {"Ref": table}
    assert env["SPREADSHEET_ID"] == "sheet-abc123"
    # the sync function keeps its own (write) access
    assert "dynamodb:BatchWriteItem" in actions(tpl, "sheet_sync")


def test_the_hosted_tool_settings_reach_the_turn_batch_as_given(tpl: dict[str, Any]) -> None:
    env = fn(tpl, "turn_batch")["Environment"]["Variables"]
    settings = Settings.from_env({k: v for k, v in env.items() if isinstance(v, str)})
    assert settings.server_tools == CONTEXT["serverTools"]
    assert settings.mcp_servers == MCP_SERVERS
    assert "MCP_SERVERS" not in fn(tpl, "poll")["Environment"]["Variables"]


def test_without_a_sheet_or_mcp_servers_the_turn_batch_reaches_neither(app_template: dict[str, Any]) -> None:
    assert sheet_statements(app_template, "turn_batch") == []
    assert "SHEET_TABLE" not in fn(app_template, "turn_batch")["Environment"]["Variables"]
    assert len(secret_resources(app_template, "turn_batch")) == 1  # the Anthropic key only


def test_a_bad_mcp_server_stops_the_synth_naming_the_context_key(tmp_path: Path) -> None:
    from jada_infra.app import build_app

    bad = {**CONTEXT, "mcpServers": [{"name": "x", "url": "http://mcp.example.com"}]}
    with pytest.raises(ValueError, match=r"context value mcpServers .*url must be https://"):
        build_app(context=bad, outdir=str(tmp_path), nag=False)
