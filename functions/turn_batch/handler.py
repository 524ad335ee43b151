"""Turn-batch Lambda (a step of the session state machine): run one batch of model turns.

Named errors propagate: their class names are the state machine's Retry/Catch contract."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.metrics import MetricUnit
from jada.agent.runtime import batch_metrics, run_batch_from_env
from jada.errors import ModelAuthFailed, SpendLimitReached
from jada.telemetry import SERVICE, M, logger, metrics

tracer = Tracer(service=SERVICE)


@metrics().log_metrics
@tracer.capture_lambda_handler
@logger().inject_lambda_context(correlation_id_path="task_id")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        result = run_batch_from_env(event, lambda: context.get_remaining_time_in_millis() / 1000)
    except ModelAuthFailed:
        metrics().add_metric(name=M.MODEL_AUTH_FAILED, unit=MetricUnit.Count, value=1)
        raise
    except SpendLimitReached:
        metrics().add_metric(name=M.SPEND_LIMIT_REACHED, unit=MetricUnit.Count, value=1)
        raise
    for name, value in batch_metrics(result).items():
        unit = MetricUnit.NoUnit if name == M.COST_USD else MetricUnit.Count
        metrics().add_metric(name=name, unit=unit, value=value)
    logger().info(
        "batch done", extra={"status": result.status, "turns": result.turns, "reason": result.reason}
    )
    return result.output()
