"""Scenario `sites` and `mcp_servers`: validation and the stack settings they stand for."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jada.settings import Settings
from jada_tools.local.scenario import ScenarioError, parse_scenario
from jada_tools.local.sites import bucket_name, distribution_id, mcp_secret_name
from jada_tools.local.synth import scenario_context

PAGE = "<html><h1>Jada</h1></html>"


def scenario(**extra: Any) -> dict[str, Any]:
    return {"start": "2026-05-12T21:00:00Z", "end": "2026-05-12T22:00:00Z", **extra}


def test_sites_become_the_sites_setting_with_a_bucket_and_distribution_each() -> None:
    spec = parse_scenario(
        scenario(
            sites={
                "sailjada.com": {"files": {"index.html": PAGE}},
                "charter.sailjada.com": {"files": {"a/b.html": PAGE}, "approval": "operator"},
            }
        )
    )
    ctx = scenario_context(spec, {})
    assert ctx["sites"] == {
        "sailjada.com": {
            "bucket": bucket_name("sailjada.com"),
            "distributionId": distribution_id("sailjada.com"),
            "approval": "auto",
        },
        "charter.sailjada.com": {
            "bucket": bucket_name("charter.sailjada.com"),
            "distributionId": distribution_id("charter.sailjada.com"),
            "approval": "operator",
        },
    }
    assert Settings.model_validate({"sites": ctx["sites"]}).sites  # what the stack accepts
    assert bucket_name("sailjada.com").startswith("sailjada-com-site-")
    assert bucket_name("sailjada.com") != bucket_name("sailjada-com")
    assert len(bucket_name("a" * 60 + ".com")) <= 63


def test_mcp_servers_name_a_secret_and_never_carry_the_token() -> None:
    servers = [
        {
            "name": "apps-script",
            "url": "https://mcp.example.com/mcp",
            "token": "tok-SECRET-1",
            "allowed_tools": ["update_script"],
        },
        {"name": "open", "url": "https://open.example.com/mcp"},
    ]
    ctx = scenario_context(parse_scenario(scenario(mcp_servers=servers)), {})
    assert ctx["mcpServers"] == [
        {
            "name": "apps-script",
            "url": "https://mcp.example.com/mcp",
            "tokenSecret": mcp_secret_name("apps-script"),
            "allowedTools": ["update_script"],
        },
        {"name": "open", "url": "https://open.example.com/mcp"},
    ]
    assert "tok-SECRET-1" not in json.dumps(ctx)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"sites": {"Sail Jada": {"files": {"index.html": PAGE}}}}, "site name 'Sail Jada'"),
        ({"sites": {"sailjada.com": {"files": {"../etc/passwd": "x"}}}}, "not a path inside a site"),
        ({"sites": {"sailjada.com": {"files": {}}}}, "sites.sailjada.com.files"),
        ({"sites": {"sailjada.com": {"files": {"index.html": PAGE}, "approval": "maybe"}}}, "approval"),
        ({"mcp_servers": [{"name": "x", "url": "http://plain.example.com"}]}, "url must be https"),
        ({"mcp_servers": [{"name": "x", "url": "https://a.example.com"}] * 2}, "twice"),
        (
            {
                "sites": {"sailjada.com": {"files": {"index.html": PAGE}}},
                "settings": {"sites": {"a.com": {"bucket": "abc", "distributionId": "E2QWRUHAPOMQZL"}}},
            },
            "give sites once",
        ),
    ],
)
def test_bad_sites_and_servers_are_refused_naming_the_field(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(scenario(**extra))
