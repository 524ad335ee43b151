"""Poll Lambda (EventBridge Scheduler, every minute): start sessions for runnable tasks.

Ships without the dependency layer: never imports anthropic or googleapiclient."""

from __future__ import annotations

from typing import Any

from jada.orchestration.poll_runtime import poll_from_env
from jada.telemetry import emit, logger, metrics


@metrics().log_metrics
@logger().inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    done = poll_from_env(event)
    emit(done.metrics)
    return done.output
