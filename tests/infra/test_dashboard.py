"""The synthesized dashboard: one, named after the stack, with the widgets operators look at."""

from __future__ import annotations

import json
from typing import Any

from jada.telemetry import M
from jada_tools.local.provision import resources_of_type

from tests.infra.conftest import only


def body(tpl: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """The dashboard body as JSON (references kept as placeholders), and the references in it."""
    _, dashboard = only(tpl, "AWS::CloudWatch::Dashboard")
    joined = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    refs = [part for part in joined if not isinstance(part, str)]
    text = "".join(part if isinstance(part, str) else '"REF"' for part in joined)
    return json.loads(text.replace('""REF""', '"REF"')), refs


def test_one_dashboard_named_after_the_stack(app_template: dict[str, Any]) -> None:
    _, dashboard = only(app_template, "AWS::CloudWatch::Dashboard")
    assert dashboard["Properties"]["DashboardName"] == "Jada"
    assert app_template["Outputs"]["DashboardName"]["Value"] == {
        "Ref": only(app_template, "AWS::CloudWatch::Dashboard")[0]
    }


def test_widgets_show_sessions_turns_spend_sync_and_every_alarm(app_template: dict[str, Any]) -> None:
    parsed, refs = body(app_template)
    widgets = parsed["widgets"]
    titles = [w["properties"].get("title", "") for w in widgets]
    assert any("Sessions started per day" in t for t in titles)
    metrics = json.dumps([w["properties"].get("metrics", []) for w in widgets])
    for name in (M.SESSIONS_STARTED, M.TURNS, M.COST_USD):
        assert f'"{name}"' in metrics
    quota = next(w for w in widgets if "Sessions started" in w["properties"].get("title", ""))
    assert quota["properties"]["annotations"]["horizontal"][0]["value"] == 5  # sessionsPerDay
    # without a spreadsheet id the sync widgets say the sync is off
    assert any("sync: off" in w["properties"].get("markdown", "") for w in widgets)
    [alarms] = [w for w in widgets if w["type"] == "alarm"]
    alarm_ids = set(resources_of_type(app_template, "AWS::CloudWatch::Alarm"))
    shown = {r["Fn::GetAtt"][0] for r in refs if isinstance(r, dict) and "Fn::GetAtt" in r}
    assert len(alarm_ids) == 5
    assert alarm_ids <= shown
    assert len(alarms["properties"]["alarms"]) == len(alarm_ids)


def test_with_a_sheet_the_dashboard_shows_sync_outcomes_and_token_age() -> None:
    from jada_tools.local.synth import LOCAL_CONTEXT, synthesize

    tpl = synthesize({**LOCAL_CONTEXT, "alertEmail": "ops@example.com", "spreadsheetId": "s1"}).template
    parsed, _ = body(tpl)
    metrics = json.dumps([w["properties"].get("metrics", []) for w in parsed["widgets"]])
    for name in (M.SYNC_OK, M.SYNC_TOKEN_ERROR, M.SYNC_TRANSIENT_ERROR, M.TOKEN_AGE_DAYS):
        assert f'"{name}"' in metrics
