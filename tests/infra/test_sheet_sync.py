"""The synthesized sheet sync: alarms watch exactly what the handler emits, schedule, DLQ, secret, role;
without a spreadsheet id, no schedule and no alarms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from jada.sheets.sync import OUTCOME_METRICS
from jada.stores import schema
from jada.telemetry import M
from jada_tools.fakes.google_server import GoogleFake
from moto import mock_aws

from tests.functional.sheets.conftest import token_json
from tests.functional.sheets.test_handler import emf_metrics, load_handler

#: each sync alarm and the metrics it reads
SYNC_ALARMS = {
    "Jada-SheetSyncTokenError": [M.SYNC_TOKEN_ERROR],
    "Jada-SheetSyncStale": [M.SYNC_OK, M.SYNC_TOKEN_ERROR, M.SYNC_CONFIG_ERROR],
    "Jada-SheetSyncTokenExpiring": [M.TOKEN_AGE_DAYS],
    "Jada-SheetSyncConfigError": [M.SYNC_CONFIG_ERROR],
    "Jada-SheetSyncSuspicious": [M.SYNC_SUSPICIOUS],
}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cloud assembly, synthesized once per module with cdk-nag (synth raises on unacknowledged
    findings, after writing the template and the validation report)."""
    from jada_infra.app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDK_VALIDATION", "false")
        context = {"aws:cdk:bundling-stacks": [], "alertEmail": "ops@example.com", "spreadsheetId": "sheet-1"}
        app = build_app(context=context, outdir=str(outdir))
        try:
            app.synth()
        except RuntimeError as exc:
            if "ValidationFailed" not in str(exc):
                raise
    return outdir


@pytest.fixture(scope="module")
def template(synthesized: Path) -> dict[str, Any]:
    return json.loads((synthesized / "Jada.template.json").read_text())


def test_cdk_nag_finds_nothing_in_the_sheet_sync(synthesized: Path) -> None:
    report = synthesized / "validation-report.json"
    findings = json.loads(report.read_text())["pluginReports"] if report.exists() else []
    mine = [
        (violation["ruleName"], construct["constructPath"])
        for plugin in findings
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
        if construct["constructPath"].startswith("Jada/SheetSync/")
    ]
    assert mine == []


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == kind}


def logical_id(template: dict[str, Any], kind: str, prefix: str) -> str:
    [found] = [k for k in resources(template, kind) if k.startswith(prefix)]
    return found


def sync_alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    return {a["AlarmName"]: a for a in alarms if a["AlarmName"].startswith("Jada-SheetSync")}


def watched(alarm: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(namespace, metric name, dimensions as JSON) of each metric an alarm reads (metric math too)."""
    specs = (
        [alarm]
        if "MetricName" in alarm
        else [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
    )
    return [
        (
            s["Namespace"],
            s["MetricName"],
            json.dumps({d["Name"]: d["Value"] for d in s["Dimensions"]}, sort_keys=True),
        )
        for s in specs
    ]


@pytest.fixture
def emitted(
    lambda_context: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[set]:
    """(namespace, metric name, dimensions) of the EMF lines a real handler run prints."""
    with mock_aws(), GoogleFake() as google:
        boto3.client("dynamodb").create_table(**schema.SHEET.create_kwargs("sheet"))
        boto3.client("secretsmanager").create_secret(Name="token", SecretString=token_json())
        for key, value in {
            "SPREADSHEET_ID": "abc",
            "GOOGLE_TOKEN_SECRET_ID": "token",
            "SHEET_TABLE": "sheet",
            "GOOGLE_OAUTH_TOKEN_URI": google.token_uri,
            "SHEETS_API_ENDPOINT": google.sheets_endpoint,
        }.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        assert load_handler().handler({}, lambda_context)["outcome"] == "ok"
        lines = emf_metrics(capsys.readouterr().out)
    return {(m["namespace"], m["name"], json.dumps(m["dimensions"], sort_keys=True)) for m in lines}


def test_alarms_watch_exactly_what_the_handler_emits(template: dict[str, Any], emitted: set) -> None:
    # a healthy run emits only what says something (SyncSucceeded, RowsWritten): every metric an
    # alarm reads has their namespace and dimensions, and a name the sync emits for some outcome
    alarms = sync_alarms(template)
    assert set(alarms) == set(SYNC_ALARMS)
    [(namespace, _, dimensions)] = {(ns, "", dims) for ns, _, dims in emitted}
    assert (namespace, M.SYNC_OK, dimensions) in emitted
    emittable = {*OUTCOME_METRICS.values(), M.SYNC_SUSPICIOUS, M.TOKEN_AGE_DAYS}
    for name, alarm in alarms.items():
        reads = watched(alarm)
        assert [n for _, n, _ in reads] == SYNC_ALARMS[name], name
        assert all((ns, dims) == (namespace, dimensions) for ns, _, dims in reads), name
        assert {n for _, n, _ in reads} <= emittable, name


def test_alarm_conditions(template: dict[str, Any]) -> None:
    alarms = sync_alarms(template)
    stale = alarms["Jada-SheetSyncStale"]
    [expression] = [m for m in stale["Metrics"] if "Expression" in m]
    assert expression["Expression"] == "FILL(ok, 0) + FILL(token, 0) + FILL(config, 0)"
    assert {m["MetricStat"]["Period"] for m in stale["Metrics"] if "MetricStat" in m} == {90 * 60}
    assert {m["MetricStat"]["Stat"] for m in stale["Metrics"] if "MetricStat" in m} == {"Sum"}
    assert (stale["ComparisonOperator"], stale["Threshold"]) == ("LessThanThreshold", 1)
    assert stale["TreatMissingData"] == "breaching"  # a schedule that stopped firing alarms too
    expiring = alarms["Jada-SheetSyncTokenExpiring"]
    assert (expiring["Statistic"], expiring["ComparisonOperator"], expiring["Threshold"]) == (
        "Maximum",
        "GreaterThanOrEqualToThreshold",
        6,
    )
    # errors are sent only by failing runs: an hour (two 30-minute syncs) keeps an incident in
    # ALARM between runs, and no data means no incident
    for name in ("TokenError", "ConfigError", "Suspicious", "TokenExpiring"):
        alarm = alarms[f"Jada-SheetSync{name}"]
        assert (alarm["Period"], alarm["EvaluationPeriods"]) == (3600, 1), name
        assert alarm["TreatMissingData"] == "notBreaching", name
    assert alarms["Jada-SheetSyncTokenError"]["Threshold"] == 1


def test_every_alarm_emails_on_alarm_and_ok_with_a_runbook(template: dict[str, Any]) -> None:
    topic = {"Ref": logical_id(template, "AWS::SNS::Topic", "AlertingAlertTopic")}
    for name, alarm in sync_alarms(template).items():
        assert alarm["AlarmActions"] == [topic], name
        assert alarm["OKActions"] == [topic], name
        assert "jada sync status" in alarm["AlarmDescription"], name
    assert "jada auth google" in sync_alarms(template)["Jada-SheetSyncTokenError"]["AlarmDescription"]


def test_schedule_rate_input_retries_and_dead_letter_queue(template: dict[str, Any]) -> None:
    schedule = resources(template, "AWS::Scheduler::Schedule")[
        logical_id(template, "AWS::Scheduler::Schedule", "SheetSyncSyncSchedule")
    ]
    function = logical_id(template, "AWS::Lambda::Function", "SheetSyncSyncFunction")
    queue = logical_id(template, "AWS::SQS::Queue", "SheetSyncScheduleDeadLetters")
    assert schedule["ScheduleExpression"] == "rate(30 minutes)"
    target = schedule["Target"]
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    assert json.loads(target["Input"]) == {"scheduled_time": "<aws.scheduler.scheduled-time>"}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue, "Arn"]}}
    assert resources(template, "AWS::SQS::Queue")[queue]["SqsManagedSseEnabled"] is True
    [policy] = [
        p for p in resources(template, "AWS::SQS::QueuePolicy").values() if p["Queues"] == [{"Ref": queue}]
    ]
    [deny] = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_secret_table_and_function_environment(template: dict[str, Any]) -> None:
    secret = logical_id(template, "AWS::SecretsManager::Secret", "SheetSyncGoogleToken")
    table = logical_id(template, "AWS::DynamoDB::Table", "SheetSyncSheetTable")
    assert (
        resources(template, "AWS::SecretsManager::Secret")[secret]["SecretString"] == "{}"
    )  # not configured
    keys = resources(template, "AWS::DynamoDB::Table")[table]["KeySchema"]
    assert [(k["AttributeName"], k["KeyType"]) for k in keys] == [
        (schema.SHEET.pk, "HASH"),
        (schema.SHEET.sk, "RANGE"),
    ]
    function = resources(template, "AWS::Lambda::Function")[
        logical_id(template, "AWS::Lambda::Function", "SheetSyncSyncFunction")
    ]
    env = function["Environment"]["Variables"]
    assert env["GOOGLE_TOKEN_SECRET_ID"] == {"Ref": secret}
    assert env["SHEET_TABLE"] == {"Ref": table}
    assert {"SPREADSHEET_ID", "SHEET_RANGE", "SHEET_KEY_COLUMN", "GOOGLE_APP_TESTING"} <= set(env)
    assert not any("token" in str(v).lower() and k != "GOOGLE_TOKEN_SECRET_ID" for k, v in env.items())
    outputs = template["Outputs"]
    assert outputs["SheetTableName"]["Value"] == {"Ref": table}
    assert outputs["GoogleTokenSecretArn"]["Value"] == {"Ref": secret}
    assert "SyncFunctionName" in outputs


def test_sync_role_is_least_privilege(template: dict[str, Any]) -> None:
    secret = logical_id(template, "AWS::SecretsManager::Secret", "SheetSyncGoogleToken")
    table = logical_id(template, "AWS::DynamoDB::Table", "SheetSyncSheetTable")
    role = logical_id(template, "AWS::IAM::Role", "SheetSyncSyncFunctionServiceRole")
    dead_letters = logical_id(template, "AWS::SQS::Queue", "SheetSyncScheduleDeadLetters")
    [policy] = [p for p in resources(template, "AWS::IAM::Policy").values() if p["Roles"] == [{"Ref": role}]]
    granted = {
        (
            tuple(sorted(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])),
            json.dumps(s["Resource"]),
        )
        for s in policy["PolicyDocument"]["Statement"]
    }
    assert granted == {
        (("xray:PutTelemetryRecords", "xray:PutTraceSegments"), '"*"'),
        (("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"), json.dumps({"Ref": secret})),
        (
            ("dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"),
            json.dumps([{"Fn::GetAtt": [table, "Arn"]}]),
        ),
        (("sqs:SendMessage",), json.dumps({"Fn::GetAtt": [dead_letters, "Arn"]})),
    }


def test_without_a_spreadsheet_id_the_sync_is_off(app_template: dict[str, Any]) -> None:
    # the default context has no spreadsheetId: no schedule, no alarm can fire on a fresh deploy
    tpl = app_template
    schedules = resources(tpl, "AWS::Scheduler::Schedule")
    assert [lid for lid in schedules if lid.startswith("SheetSync")] == []
    assert sync_alarms(tpl) == {}
    assert [lid for lid in resources(tpl, "AWS::SQS::Queue") if lid.startswith("SheetSync")] == []
    # the function, the token secret and the table stay: `jada auth google` and `jada sync now` work
    logical_id(tpl, "AWS::Lambda::Function", "SheetSyncSyncFunction")
    logical_id(tpl, "AWS::SecretsManager::Secret", "SheetSyncGoogleToken")
    assert tpl["Outputs"]["SyncEnabled"]["Value"] == "false"


def test_with_a_spreadsheet_id_the_sync_is_on(template: dict[str, Any]) -> None:
    assert template["Outputs"]["SyncEnabled"]["Value"] == "true"
