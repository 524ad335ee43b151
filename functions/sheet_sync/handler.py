"""Sheet sync: invoked by the schedule (`{"scheduled_time": ...}`) or by `jada sync now`."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.metrics import MetricUnit
from jada import telemetry
from jada.clock import parse_time, utcnow
from jada.sheets.api import SheetReader
from jada.sheets.store import SheetStore
from jada.sheets.sync import SyncEnv, metric_values, run_sync
from jada.sheets.token import TokenSource, quiet_wire_logs
from jada.telemetry import M

logger = telemetry.logger()
metrics = telemetry.metrics()
tracer = Tracer(service=telemetry.SERVICE)


@cache
def _token_source(secret_id: str) -> TokenSource:
    """Cached per container, so Powertools' secret cache survives between invocations."""
    return TokenSource(secret_id)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    quiet_wire_logs()
    env = SyncEnv.from_env()
    scheduled = (event or {}).get("scheduled_time")
    now = parse_time(scheduled) if scheduled else utcnow()
    result = run_sync(
        env.config(),
        tokens=_token_source(env.google_token_secret_id),
        reader=SheetReader(env.sheets_api_endpoint),
        store=SheetStore(env.sheet_table),
        now=now,
        log=logger,
    )
    for name, value in metric_values(result).items():
        unit = MetricUnit.NoUnit if name == M.TOKEN_AGE_DAYS else MetricUnit.Count
        metrics.add_metric(name=name, unit=unit, value=value)
    summary = {k: v for k, v in result.to_dict().items() if k != "quarantine"}
    if result.outcome == "ok":
        logger.info("sheet sync finished", extra=summary)
    elif result.outcome == "not_configured":
        logger.warning("sheet sync not configured", extra=summary)
    else:
        logger.error("sheet sync failed", extra=summary)
    return result.to_dict()
