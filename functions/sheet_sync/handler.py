"""Sheet-sync Lambda: invoked by the schedule (`{"scheduled_time": ...}`) or by `jada sync now`."""

from __future__ import annotations

from typing import Any

from jada.sheets.runtime import sync_from_env
from jada.telemetry import emit, logger, metrics


@metrics().log_metrics
@logger().inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    done = sync_from_env(event)
    emit(done.metrics)
    return done.output
