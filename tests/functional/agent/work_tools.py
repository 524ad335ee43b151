"""Helpers for the port sheet, web and MCP tool tests: the sheet table and an MCP token secret in
moto, and an agent with every one of these tools enabled (real adapters behind `Services`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from jada.agent.tools import Registry, Services, registry_for
from jada.agent.turns import Agent
from jada.clock import iso
from jada.settings import Resources, Settings
from jada.sheets.mirror import parse_sheet, plan_mirror
from jada.sheets.store import SheetStore
from jada.stores import schema

from tests.conftest import NOW, Cloud
from tests.functional.agent.conftest import STEP_TOOL, Harness

SHEET_TABLE = "jada-sheet"
MCP_SECRET = "jada/mcp/apps-script"
MCP_TOKEN = "mcp-bearer-9c41e7d2f0a8-SECRET"
APPS_SCRIPT = {
    "name": "apps-script",
    "url": "https://mcp.example.com/mcp",
    "tokenSecret": MCP_SECRET,
    "allowedTools": ["update_script"],
}
#: settings that enable every tool of this module (the built-ins are always on)
EVERY_TOOL: dict[str, Any] = {
    "spreadsheet_id": "sheet-abc123",
    "server_tools": ["web_search", {"name": "web_fetch", "allowedDomains": ["sailjada.com"], "maxUses": 3}],
    "mcp_servers": [APPS_SCRIPT],
}
HEADER = ["port", "country", "berth", "notes"]


@pytest.fixture
def work_cloud(cloud: Cloud) -> Iterator[Cloud]:
    """The sheet mirror table and the MCP token secret, in moto (no Powertools cache across tests)."""
    boto3.client("dynamodb").create_table(**schema.SHEET.create_kwargs(SHEET_TABLE))
    boto3.client("secretsmanager").create_secret(Name=MCP_SECRET, SecretString=MCP_TOKEN)
    parameters.clear_caches()
    yield cloud
    parameters.clear_caches()


def sheet() -> SheetStore:
    return SheetStore(SHEET_TABLE)


def mirror(rows: list[list[str]], *, synced_at: datetime | None = NOW - timedelta(minutes=10)) -> None:
    """Rows mirrored as a sync writes them (header first), and a successful run at `synced_at`."""
    store = sheet()
    plan = plan_mirror(parse_sheet([HEADER, *rows], "port"), store.stored_rows())
    store.apply(plan, synced_at or NOW)
    if synced_at is not None:
        store.record_run({"outcome": "ok", "at": iso(synced_at), "rows": len(rows)}, synced_at)


def agent_with(harness: Harness, registry: Registry | None = None, **settings: Any) -> Agent:
    """An agent whose tools reach the moto resources through real adapters."""
    given = Settings(**settings)
    agent = harness.agent(registry or with_step(given), **settings)
    return dataclasses.replace(agent, services=Services(given, Resources(sheet_table=SHEET_TABLE)))


def with_step(settings: Settings) -> Registry:
    """The deployment's registry plus the harmless `do_step` tool long test sessions use."""
    registry = registry_for(settings)
    return Registry((*registry.tools.values(), STEP_TOOL), registry.hosted)
