"""Poll Lambda (EventBridge Scheduler, every minute): start sessions for runnable tasks.

Ships without the dependency layer: never imports anthropic or googleapiclient."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.metrics import MetricUnit
from jada.orchestration.runtime import PollEvent, poll_from_env
from jada.telemetry import SERVICE, logger, metrics

tracer = Tracer(service=SERVICE)


@metrics().log_metrics
@tracer.capture_lambda_handler
@logger().inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = poll_from_env(PollEvent.model_validate(event or {}).now())
    for name, value in result.metrics().items():
        metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)
    return {
        "runnable": result.runnable,
        "started": result.started,
        "already_started": result.already_started,
        "stopped_by": result.stopped_by,
    }
