"""`jada sync now` (run the deployed sync function and wait) and `jada sync status` (last runs, token
age, alarm states). Never prints the token: only its age and status."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import typer
from botocore.exceptions import ClientError
from jada import aws
from jada.clock import iso, utcnow
from jada.errors import ConfigurationError
from jada.telemetry import SHEET_SYNC_ALARMS, alarm_name

from jada_tools.cli.common import AS_JSON, FAILED, STACK, CliError, fail, guard
from jada_tools.cli.stack import outputs

app = typer.Typer(no_args_is_help=True)

TESTING_TOKEN_DAYS = 7

HINTS = {
    "token_error": "Re-authenticate: jada auth google --client-secrets FILE --stack {stack}",
    "config_error": "Fix the configuration named by the error code (sheet sharing, spreadsheetId, "
    "sheetRange, "
    "sheetKeyColumn, OAuth client), then: jada sync now --stack {stack}",
    "transient_error": "Google or AWS failed for a while; the next scheduled run retries: "
    "jada sync now --stack {stack}",
    "not_configured": "No Google token is stored: jada auth google --client-secrets FILE --stack {stack}",
}


def _invoke_sync(name: str) -> Any:
    try:
        return aws.client("lambda").invoke(
            FunctionName=name,
            InvocationType="RequestResponse",
            Payload=json.dumps({"source": "jada sync now"}).encode(),
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "TooManyRequestsException":
            # the function runs one sync at a time (reserved concurrency 1)
            raise CliError(
                "cannot run the sync: a sync is already running; try again in a minute", FAILED
            ) from None
        raise


@app.command("now")
def now(stack: str = STACK, as_json: bool = AS_JSON) -> None:
    """Invoke the sync function synchronously; exit 1 unless the outcome is ok."""
    name = guard(lambda: outputs(stack)["SyncFunctionName"])
    response = guard(lambda: _invoke_sync(name))
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        error = payload if isinstance(payload, dict) else {}
        fail(
            f"the sync function failed: {error.get('errorType', 'error')}: {error.get('errorMessage', '')}",
            FAILED,
        )
    if as_json:
        typer.echo(json.dumps(payload, indent=2))
    else:
        typer.echo(describe_run(payload, stack))
    if payload.get("outcome") != "ok":
        raise typer.Exit(1)


def describe_run(run: dict[str, Any], stack: str) -> str:
    outcome = run.get("outcome", "?")
    lines = [f"Sync at {run.get('at', '?')}: {outcome}"]
    if outcome == "ok":
        lines.append(
            f"  {run.get('rows', 0)} rows: {run.get('written', 0)} written, "
            f"{run.get('tombstoned', 0)} tombstoned, "
            f"{run.get('unchanged', 0)} unchanged, {run.get('quarantined', 0)} quarantined"
        )
    why = run.get("reason") or run.get("error_description") or ""
    if run.get("error_code"):
        lines.append(f"  error: {run['error_code']}: {why}".rstrip().rstrip(":"))
    elif run.get("suspicious"):
        lines.append(f"  suspicious read, nothing tombstoned: {why}")
    elif why and outcome != "ok":
        lines.append(f"  {why}")
    for row in run.get("quarantine") or []:
        lines.append(f"  quarantined row {row['row']}: {row['reason']}")
    sync_off = outcome == "not_configured" and "spreadsheetId" in str(run.get("reason") or "")
    if outcome in HINTS and not sync_off:  # the sync-off reason says what to do itself
        lines.append("  " + HINTS[outcome].format(stack=stack))
    return "\n".join(lines)


@app.command("status")
def status(
    stack: str = STACK,
    as_json: bool = AS_JSON,
    runs: int = typer.Option(5, min=1, max=1000, help="How many runs."),
) -> None:
    """The last sync runs, the Google token's age and the sync alarms' states."""
    found = guard(lambda: outputs(stack))
    report: dict[str, Any] = guard(
        lambda: {
            "runs": _last_runs(found["SheetTableName"], runs),
            "token": _token_summary(found["GoogleTokenSecretArn"]),
            "alarms": _alarms(stack),
        }
    )
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    token = report["token"]
    if token["configured"]:
        expiry = f", dies by {token['expires_by']}" if token.get("expires_by") else ""
        app_status = (
            f"{token['app_status']} app" if token["app_status"] else "app status from googleAppTesting"
        )
        typer.echo(
            f"Token: {app_status}, obtained {token['obtained_at']} ({token['age_days']} days ago{expiry})"
        )
    else:
        problem = f" ({token['problem']})" if token.get("problem") else ""
        typer.echo(f"Token: not configured{problem}: jada auth google --client-secrets FILE --stack {stack}")
    typer.echo("Alarms:" if report["alarms"] else "Alarms: none found")
    for alarm in report["alarms"]:
        typer.echo(f"  {alarm['state']:<17} {alarm['name']}")
    typer.echo("Last runs:" if report["runs"] else "Last runs: none recorded")
    for run in report["runs"]:
        typer.echo(describe_run(run, stack))


def _last_runs(table: str, limit: int) -> list[dict[str, Any]]:
    from jada.sheets.store import SheetStore

    return SheetStore(table).last_runs(limit)


def _token_summary(secret_arn: str) -> dict[str, Any]:
    """Age and app status only: the token itself never leaves this function."""
    from jada.sheets.token import TESTING_TOKEN_DAYS, TokenRecord

    try:
        raw = aws.client("secretsmanager").get_secret_value(SecretId=secret_arn).get("SecretString")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        raw = None
    try:
        record = TokenRecord.parse(raw)
    except ConfigurationError as exc:
        return {"configured": False, "problem": exc.message}
    if record is None:
        return {"configured": False}
    summary: dict[str, Any] = {
        "configured": True,
        "app_status": record.app_status,
        "obtained_at": iso(record.obtained_at) if record.obtained_at else None,
        "age_days": record.age_days(utcnow()),
    }
    if record.app_status == "testing" and record.obtained_at:
        summary["expires_by"] = iso(record.obtained_at + timedelta(days=TESTING_TOKEN_DAYS))
    return summary


def _alarms(stack: str) -> list[dict[str, Any]]:
    pages = (
        aws.client("cloudwatch")
        .get_paginator("describe_alarms")
        .paginate(AlarmNamePrefix=alarm_name(stack, SHEET_SYNC_ALARMS), AlarmTypes=["MetricAlarm"])
    )
    return [
        {
            "name": a["AlarmName"],
            "state": a["StateValue"],
            "reason": a.get("StateReason", ""),
            "since": a.get("StateUpdatedTimestamp"),
        }
        for page in pages
        for a in page.get("MetricAlarms", [])
    ]
