"""Session-end Lambda (last step of the session state machine, also on its Catch path, and the
target of the rule for executions that failed, timed out or were stopped)."""

from __future__ import annotations

from typing import Any

from jada.orchestration.runtime import end_session_from_env
from jada.telemetry import emit, logger, metrics


@metrics().log_metrics
@logger().inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    done = end_session_from_env(event)
    emit(done.metrics)
    return done.output
