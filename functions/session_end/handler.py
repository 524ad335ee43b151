"""Session-end Lambda (last step of the session state machine, also on its Catch path)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.metrics import MetricUnit
from jada.orchestration.runtime import end_session_from_env
from jada.telemetry import SERVICE, logger, metrics

tracer = Tracer(service=SERVICE)


@metrics().log_metrics
@tracer.capture_lambda_handler
@logger().inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = end_session_from_env(event)
    for name, value in result.metrics.items():
        metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)
    return result.output()
