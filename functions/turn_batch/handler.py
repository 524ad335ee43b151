"""Turn-batch Lambda (a step of the session state machine): run one batch of model turns.

Named errors propagate: their class names are the state machine's Retry/Catch contract."""

from __future__ import annotations

from typing import Any

from jada.agent.runtime import run_batch_from_env
from jada.telemetry import emit, logger, metrics


@metrics().log_metrics
@logger().inject_lambda_context(clear_state=True, correlation_id_path="task_id")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    done = run_batch_from_env(event, lambda: context.get_remaining_time_in_millis() / 1000)
    emit(done.metrics)
    return done.output
