"""`jada sync now` and `jada sync status` with typer's CliRunner, against moto, the Google fake and the
sync function in moto, its real handler run in-process by the local cloud's Lambda runtime."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from jada.sheets.store import SheetStore
from jada_tools.cli import stack as cli_stack
from jada_tools.cli.main import app
from jada_tools.local.moto_lambda import InProcessLambda
from typer.testing import CliRunner

from tests.functional.sheets.conftest import CLIENT_SECRET, NOW, REFRESH_TOKEN, SECRET, TABLE, SheetWorld
from tests.functional.sheets.test_handler import HANDLER

FUNCTION = "Jada-SheetSyncSyncFunction"
runner = CliRunner()


@pytest.fixture
def deployed(world: SheetWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcessLambda]:
    """The stack's outputs, and its sync function in moto (configured like the world's sync)."""
    secret_arn = boto3.client("secretsmanager").describe_secret(SecretId=SECRET)["ARN"]
    outputs = {"SheetTableName": TABLE, "GoogleTokenSecretArn": secret_arn, "SyncFunctionName": FUNCTION}
    monkeypatch.setenv("JADA_OUTPUTS_JSON", json.dumps(outputs))
    cli_stack.outputs.cache_clear()
    role = boto3.client("iam").create_role(RoleName="sync", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda").create_function(
        FunctionName=FUNCTION, Runtime="python3.13", Role=role, Handler="handler.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18}, Timeout=60,
        Environment={"Variables": world.env},
    )  # fmt: skip
    with InProcessLambda() as runtime:
        runtime.register(FUNCTION, HANDLER)
        yield runtime
    cli_stack.outputs.cache_clear()


def function_logs(runtime: InProcessLambda) -> str:
    """What the function printed (its CloudWatch Logs)."""
    return "".join(i.stdout for i in runtime.invocations)


def invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    for secret in (REFRESH_TOKEN, CLIENT_SECRET, "ya29."):
        assert secret not in result.output
    return result


def test_sync_now_prints_outcome_and_counts(deployed: InProcessLambda) -> None:
    result = invoke("sync", "now")
    assert result.exit_code == 0, result.output
    assert ": ok" in result.output
    assert "12 rows: 12 written, 0 tombstoned" in result.output
    assert [(i.function_name, i.event) for i in deployed.invocations] == [
        (FUNCTION, {"source": "jada sync now"})
    ]
    assert '"SyncSucceeded"' in function_logs(deployed)  # the function's EMF went to its own log


def test_sync_now_token_error_exits_non_zero_with_the_fix(
    deployed: InProcessLambda, world: SheetWorld, log_stream: io.StringIO
) -> None:
    world.google.revoke()
    result = invoke("sync", "now", "--stack", "Jada")
    assert result.exit_code == 1
    assert "token_error" in result.output
    assert "invalid_grant: Token has been expired or revoked." in result.output
    assert "jada auth google --client-secrets FILE --stack Jada" in result.output
    logs = function_logs(deployed) + log_stream.getvalue()
    assert "invalid_grant" in logs
    for secret in (REFRESH_TOKEN, CLIENT_SECRET, "ya29."):
        assert secret not in logs


def test_sync_now_says_when_the_sync_is_off(deployed: InProcessLambda, world: SheetWorld) -> None:
    # a deployment without a spreadsheet id: the function exists, no schedule runs it
    boto3.client("lambda").update_function_configuration(
        FunctionName=FUNCTION, Environment={"Variables": {**world.env, "SPREADSHEET_ID": ""}}
    )
    result = invoke("sync", "now")
    assert result.exit_code == 1
    assert ": not_configured" in result.output
    assert "the sheet sync is off: no spreadsheetId is configured" in result.output
    assert "-c spreadsheetId=" in result.output
    assert "jada auth google" not in result.output  # the token is not what is missing


def test_sync_now_json(deployed: InProcessLambda, world: SheetWorld) -> None:
    world.google.sheets_mode = "forbidden"
    result = invoke("sync", "now", "--json")
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert (body["outcome"], body["error_code"]) == ("config_error", "PERMISSION_DENIED")


def test_sync_now_reports_a_crashed_function(deployed: InProcessLambda, world: SheetWorld) -> None:
    # the function's table does not exist: the run cannot be recorded, the function fails
    env = {**world.env, "SHEET_TABLE": "no-such-table"}
    boto3.client("lambda").update_function_configuration(
        FunctionName=FUNCTION, Environment={"Variables": env}
    )
    result = invoke("sync", "now")
    assert result.exit_code == 1  # an unexpected failure, not bad input
    assert "error: the sync function failed: ResourceNotFoundException" in result.output


def test_sync_now_without_a_stack(monkeypatch: pytest.MonkeyPatch, moto_aws: None) -> None:
    monkeypatch.setenv("JADA_OUTPUTS_JSON", "{}")
    cli_stack.outputs.cache_clear()
    result = invoke("sync", "now")
    cli_stack.outputs.cache_clear()
    assert result.exit_code == 2
    assert "no output SyncFunctionName" in result.output


def test_sync_status_shows_runs_token_age_and_alarms(deployed: InProcessLambda, world: SheetWorld) -> None:
    store = SheetStore(TABLE)
    store.record_run({"outcome": "ok", "at": "2026-05-12T22:00:00Z", "rows": 12, "written": 12}, NOW)
    store.record_run(
        {
            "outcome": "token_error",
            "at": "2026-05-12T22:30:00Z",
            "error_code": "invalid_grant",
            "error_description": "Token has been expired or revoked.",
        },
        NOW + timedelta(minutes=30),
    )
    cloudwatch = boto3.client("cloudwatch")
    for name in ("Jada-SheetSyncTokenError", "Jada-SheetSyncStale", "Other-Alarm"):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="X",
            Namespace="Jada",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
    cloudwatch.set_alarm_state(
        AlarmName="Jada-SheetSyncTokenError", StateValue="ALARM", StateReason="token refused"
    )

    result = invoke("sync", "status")
    assert result.exit_code == 0, result.output
    assert "Token: testing app, obtained 2026-05-10T22:00:00Z" in result.output
    assert "dies by 2026-05-17T22:00:00Z" in result.output
    assert "ALARM             Jada-SheetSyncTokenError" in result.output
    assert "Other-Alarm" not in result.output
    lines = result.output.splitlines()
    assert lines.index("Sync at 2026-05-12T22:30:00Z: token_error") < lines.index(
        "Sync at 2026-05-12T22:00:00Z: ok"
    )

    data = json.loads(invoke("sync", "status", "--json").output)
    assert [r["outcome"] for r in data["runs"]] == ["token_error", "ok"]
    assert data["token"]["app_status"] == "testing"
    assert {a["name"]: a["state"] for a in data["alarms"]}["Jada-SheetSyncTokenError"] == "ALARM"


def test_sync_status_without_a_token(deployed: InProcessLambda, world: SheetWorld) -> None:
    world.put_token("{}")
    result = invoke("sync", "status")
    assert result.exit_code == 0
    assert "Token: not configured" in result.output


def test_sync_status_names_a_malformed_token(deployed: InProcessLambda, world: SheetWorld) -> None:
    world.put_token('{"client_id": "x"}')
    result = invoke("sync", "status")
    assert (
        "Token: not configured (the Google token secret lacks refresh_token, client_secret)" in result.output
    )
    assert "Last runs: none recorded" in result.output


def test_sync_status_gives_the_reason_of_a_failed_run(deployed: InProcessLambda, world: SheetWorld) -> None:
    # Given a sheet whose header row lacks the key column
    world.google.rows = [["Harbour", "Status"], ["Lisbon", "ok"]]
    assert invoke("sync", "now").exit_code == 1
    # Then the status names the problem once, after the error code
    result = invoke("sync", "status")
    lines = [line for line in result.output.splitlines() if "no key column" in line]
    assert lines == [
        "  error: configuration: the header row has no key column 'port', case and surrounding "
        "spaces ignored (found: Harbour, Status)"
    ]
    [run] = json.loads(invoke("sync", "status", "--json").output)["runs"]
    assert (run["outcome"], run["reason"]) == ("config_error", lines[0].split(": ", 2)[2])


def test_sync_now_while_a_sync_runs_says_so(monkeypatch: pytest.MonkeyPatch, moto_aws: None) -> None:
    # Given the function's one reserved slot is busy: Lambda answers 429 TooManyRequestsException
    from botocore.stub import Stubber
    from jada import aws

    monkeypatch.setenv("JADA_OUTPUTS_JSON", json.dumps({"SyncFunctionName": FUNCTION}))
    cli_stack.outputs.cache_clear()
    with Stubber(aws.client("lambda")) as lambda_api:
        lambda_api.add_client_error(
            "invoke", service_error_code="TooManyRequestsException", http_status_code=429
        )
        result = invoke("sync", "now")
    cli_stack.outputs.cache_clear()
    assert result.exit_code == 1
    assert "a sync is already running; try again in a minute" in result.output
