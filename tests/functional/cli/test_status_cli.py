"""`jada status` against moto: every part of the screen, `--json`, and parts that fail soft."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from jada.clock import iso, utcnow
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.models import SessionRecord, Usage
from jada.sheets.store import SheetStore
from jada.sheets.token import TESTING, secret_value
from jada.stores import schema
from jada_tools.cli import stack as cli_stack
from jada_tools.cli.main import app
from typer.testing import CliRunner

from tests.conftest import Cloud

SHEET_TABLE, SYNC_FN, POLL_FN = "jada-sheet", "jada-sync", "jada-poll"
TOKEN = json.dumps(
    {"client_id": "c", "client_secret": "s", "refresh_token": "1//not-shown", "type": "authorized_user"}
)


def function(name: str, env: dict[str, str]) -> None:
    iam = boto3.client("iam")
    try:
        role = iam.get_role(RoleName="fn")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.13", Role=role, Handler="handler.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18}, Environment={"Variables": env},
    )  # fmt: skip


@pytest.fixture
def stack(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A stack's outputs in moto: the task tables, a poll and a sync function, the sheet table, the token."""
    boto3.client("dynamodb").create_table(**schema.SHEET.create_kwargs(SHEET_TABLE))
    secret = boto3.client("secretsmanager").create_secret(Name="jada-google-token")["ARN"]
    function(POLL_FN, {"SESSIONS_PER_DAY": "6", "MAX_CONCURRENT_SESSIONS": "2"})
    function(SYNC_FN, {"SPREADSHEET_ID": "sheet-abc", "SHEET_TABLE": SHEET_TABLE})
    outputs = {"TasksTableName": cloud.tasks_table, "CountersTableName": cloud.counters_table,
               "PollFunctionName": POLL_FN, "SyncFunctionName": SYNC_FN, "SheetTableName": SHEET_TABLE,
               "GoogleTokenSecretArn": secret}  # fmt: skip
    use(outputs, monkeypatch)
    yield outputs
    cli_stack.outputs.cache_clear()


def use(outputs: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JADA_OUTPUTS_JSON", json.dumps(outputs))
    cli_stack.outputs.cache_clear()


def status(*args: str) -> Any:
    result = CliRunner().invoke(app, ["status", *args])
    assert result.exit_code == 0, result.output
    assert "1//not-shown" not in result.output
    return result


def busy_day(cloud: Cloud, stack: dict[str, str]) -> dict[str, str]:
    """A running session, a blocked task, two syncs (ok, then a token error), a heartbeat, an alarm."""
    now, store, counters = utcnow(), cloud.tasks(), cloud.counters()
    run = store.create(prompt="long job", title="crew page", now=now - timedelta(minutes=9))
    record = SessionRecord(
        number=1, execution=run.execution_name(1), started_at=iso(now - timedelta(minutes=8))
    )
    store.claim(run, session=record, now=now)
    store.update_session(
        run.task_id, record.model_copy(update={"turns": 7, "usage": Usage(cost_usd=0.25)}), now=now
    )
    counters.take_slot(record.execution, now, 2, timedelta(hours=3))
    for _ in range(2):
        counters.take_session(now, 6)
    blocked = store.create(prompt="e-sign", title="e-signature", now=now)
    store.claim(blocked, session=SessionRecord(number=1, execution="b-s1", started_at=iso(now)), now=now)
    ended = SessionRecord(number=1, execution="b-s1", started_at=iso(now), ended_at=iso(now),
                          outcome=SessionOutcome.BLOCKED, usage=Usage(cost_usd=0.5))  # fmt: skip
    reason = {"blocked_reason": "which provider?"}
    store.transition(blocked.task_id, TaskStatus.BLOCKED, now=now, set_fields=reason, session=ended)
    sheet = SheetStore(SHEET_TABLE)
    ok_at, error_at = now - timedelta(minutes=40), now - timedelta(minutes=10)
    sheet.record_run({"outcome": "ok", "at": iso(ok_at), "rows": 12}, ok_at)
    sheet.record_run({"outcome": "token_error", "at": iso(error_at), "rows": 0, "error_code": "invalid_grant",
                      "error_description": "Token has been expired or revoked."}, error_at)  # fmt: skip
    boto3.client("secretsmanager").put_secret_value(
        SecretId=stack["GoogleTokenSecretArn"],
        SecretString=secret_value(TOKEN, now - timedelta(days=2), TESTING),
    )
    boto3.client("cloudwatch").put_metric_data(
        Namespace="Jada",
        MetricData=[{"MetricName": "PollHeartbeat", "Dimensions": [{"Name": "service", "Value": "jada"}],
                     "Timestamp": now - timedelta(minutes=2), "Value": 1}],
    )  # fmt: skip
    cw = boto3.client("cloudwatch")
    states = (("Jada-SheetSyncTokenError", "ALARM"), ("Other-Alarm", "ALARM"), ("Jada-Quiet", "OK"))
    for name, state in states:
        cw.put_metric_alarm(AlarmName=name, MetricName="X", Namespace="Jada", Statistic="Sum", Period=300,
                            EvaluationPeriods=1, Threshold=1,
                            ComparisonOperator="GreaterThanOrEqualToThreshold")  # fmt: skip
        cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason="Threshold Crossed: 1 datapoint")
    return {"running": run.task_id, "blocked": blocked.task_id}


def test_status_shows_every_part_on_one_screen(cloud: Cloud, stack: dict[str, str]) -> None:
    ids = busy_day(cloud, stack)
    out = status().output
    lines = {line.split()[0]: line for line in out.splitlines() if line and not line.startswith(" ")}
    assert "last ran 1" in lines["poll"] or "last ran 2 min ago" in lines["poll"]
    assert "2 of 6 sessions used today" in lines["quota"]
    assert "4 left; 1 of 2 slots in use" in lines["quota"]
    assert f"{ids['running']}  crew page: session 1, 7 turns, running 8 min" in lines["running"]
    assert f"(stop: jada tasks stop {ids['running']})" in lines["running"]
    assert (
        f"{ids['blocked']}  e-signature: which provider?  ->  jada tasks unblock {ids['blocked']} --answer"
        in out
    )
    assert "last run " in lines["sync"]
    assert ": token_error" in lines["sync"]
    assert "last ok  " in out
    assert "12 rows" in out
    assert "last error " in out
    assert "token_error: invalid_grant: Token has been expired or revoked." in out
    assert "token: 2.0 days old (testing app, dies by" in out
    assert "ALARM Jada-SheetSyncTokenError since" in lines["alarms"]
    assert "Other-Alarm" not in out
    assert "Jada-Quiet" not in out  # OK: only alarms in ALARM are listed
    assert "today $0.75, this month $0.75 (no monthly budget set)" in lines["spend"]


def test_status_as_json(cloud: Cloud, stack: dict[str, str]) -> None:
    ids = busy_day(cloud, stack)
    data = json.loads(status("--json").output)
    assert data["poll"]["source"] == "PollHeartbeat"
    assert 60 <= data["poll"]["age_seconds"] < 300
    assert data["poll"]["late"] is False
    assert (data["quota"]["used"], data["quota"]["limit"], data["quota"]["running"]) == (2, 6, 1)
    assert [(r["id"], r["turns"], r["session"]) for r in data["running"]] == [(ids["running"], 7, 1)]
    assert [(b["id"], b["reason"]) for b in data["blocked"]] == [(ids["blocked"], "which provider?")]
    assert data["sync"]["last_ok"]["rows"] == 12
    assert data["sync"]["last_error"]["outcome"] == "token_error"
    assert data["sync"]["token"]["app_status"] == "testing"
    assert [a["name"] for a in data["alarms"]] == ["Jada-SheetSyncTokenError"]
    assert (data["spend"]["today_usd"], data["spend"]["month_usd"]) == (0.75, 0.75)


def test_an_idle_fresh_stack(cloud: Cloud, stack: dict[str, str]) -> None:
    out = status().output
    assert "poll     unknown: no poll heartbeat in the last 6 hours (is the PollSchedule enabled?)" in out
    assert "0 of 6 sessions used today" in out
    assert "running  no session running" in out
    assert "blocked  no task blocked" in out
    assert "no sync run recorded yet" in out
    assert "token: not configured" in out
    assert "alarms   none in ALARM" in out


def test_sync_is_off_without_a_spreadsheet(
    cloud: Cloud, stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3.client("lambda").update_function_configuration(FunctionName=SYNC_FN, Environment={"Variables": {}})
    assert "sync     sync is off: no spreadsheetId is configured" in status().output
    use({k: v for k, v in stack.items() if k != "SyncFunctionName"}, monkeypatch)
    assert "sync     sync is off: the stack has no sheet sync" in status().output


def test_one_unreadable_part_does_not_hide_the_others(
    cloud: Cloud, stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = busy_day(cloud, stack)
    use({**stack, "SheetTableName": "no-such-table", "CountersTableName": "gone"}, monkeypatch)
    result = status()
    out = result.output
    assert "quota    unknown: AWS said ResourceNotFoundException" in out
    assert "sync     unknown: AWS said ResourceNotFoundException" in out
    assert ids["running"] in out
    assert "ALARM Jada-SheetSyncTokenError" in out
    data = json.loads(status("--json").output)
    assert set(data["sync"]) == {"unknown"}
    assert data["blocked"][0]["id"] == ids["blocked"]


def test_status_without_a_readable_stack_is_an_error(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JADA_OUTPUTS_JSON", raising=False)
    cli_stack.outputs.cache_clear()
    result = CliRunner().invoke(app, ["status", "--stack", "Missing"])
    cli_stack.outputs.cache_clear()
    assert result.exit_code == 2
    assert "error: cannot read stack Missing" in result.output
