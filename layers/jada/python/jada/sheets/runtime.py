"""Wiring for the sheet-sync Lambda: settings, resources and adapters from the environment, read
per invocation (never at import time)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from jada import aws
from jada.clock import parse_time, utcnow
from jada.settings import Resources, Settings
from jada.sheets.api import SheetReader
from jada.sheets.classify import NOT_CONFIGURED, OK
from jada.sheets.store import SheetStore
from jada.sheets.sync import SyncConfig, SyncResult, metric_values, run_sync
from jada.sheets.token import TokenSource, quiet_wire_logs
from jada.telemetry import Invocation, logger


def token_source(secret_id: str) -> TokenSource:
    """One per container, so the secret's cache survives between invocations; one per Secrets
    Manager client, so `aws.reset()` (a cold start in the local cloud and the tests) starts afresh."""
    return _token_source(secret_id, aws.client("secretsmanager"))


@cache
def _token_source(secret_id: str, client: Any) -> TokenSource:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return TokenSource(secret_id, provider=SecretsProvider(boto3_client=client))


def sync_from_env(
    event: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None
) -> Invocation[SyncResult]:
    """One sync, invoked by the schedule (`{"scheduled_time": ...}`) or by `jada sync now` (`{}`)."""
    quiet_wire_logs()
    settings, res = Settings.from_env(environ), Resources.from_env(environ)
    result = run_sync(
        SyncConfig.from_settings(settings, res.google_oauth_token_uri),
        tokens=token_source(res.google_token_secret_id),
        reader=SheetReader(res.sheets_api_endpoint),
        store=SheetStore(res.sheet_table),
        now=_scheduled_time(event),
        log=logger(),
    )
    _log(result)
    return Invocation(output=result.to_dict(), metrics=metric_values(result), result=result)


def _scheduled_time(event: Mapping[str, Any] | None) -> datetime:
    scheduled = (event or {}).get("scheduled_time")
    return parse_time(scheduled) if scheduled else utcnow()


def _log(result: SyncResult) -> None:
    summary = {k: v for k, v in result.to_dict().items() if k != "quarantine"}
    if result.outcome == OK:
        logger().info("sheet sync finished", extra=summary)
    elif result.outcome == NOT_CONFIGURED:
        logger().warning("sheet sync not configured", extra=summary)
    else:
        logger().error("sheet sync failed", extra=summary)
