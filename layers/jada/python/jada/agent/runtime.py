"""Wiring for the turn-batch Lambda: settings, stores and the model client from the environment."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jada import aws
from jada.agent.client import build_client
from jada.agent.tools import Services, registry_for
from jada.agent.turns import Agent, BatchResult, BatchState, run_batch
from jada.errors import AwsUnavailable, JadaError, ModelAuthFailed, SpendLimitReached
from jada.settings import Resources, Settings
from jada.stores.checkpoints import CheckpointStore
from jada.stores.counters import CounterStore
from jada.stores.tasks import TaskStore
from jada.telemetry import Invocation, M, emit, logger

#: errors counted as a metric (alarms watch them) before they propagate to the state machine
ALARMED_ERRORS: dict[type[Exception], str] = {
    ModelAuthFailed: M.MODEL_AUTH_FAILED,
    SpendLimitReached: M.SPEND_LIMIT_REACHED,
}


def agent_from_env(remaining_s: Callable[[], float], environ: Mapping[str, str] | None = None) -> Agent:
    settings = Settings.from_env(environ)
    resources = Resources.from_env(environ)
    resources.require("tasks_table", "checkpoints_table", "checkpoint_bucket", "counters_table")
    return Agent(
        tasks=TaskStore(resources.tasks_table),
        checkpoints=CheckpointStore(
            resources.checkpoints_table, resources.checkpoint_bucket, retention_days=settings.retention_days
        ),
        client=build_client(resources, environ),
        settings=settings,
        remaining_s=remaining_s,
        registry=registry_for(settings),
        services=Services(settings, resources),
        counters=CounterStore(resources.counters_table, retention_days=settings.retention_days),
    )


def run_batch_from_env(event: Mapping[str, Any], remaining_s: Callable[[], float]) -> Invocation[BatchResult]:
    """One batch. A named error propagates (its class name is the state machine's Retry/Catch
    contract); the alarmed ones are counted first. An AWS failure that passes becomes
    AwsUnavailable (retried: every step of a batch is safe to run again)."""
    state = BatchState.model_validate(dict(event))
    try:
        result = run_batch(state, agent_from_env(remaining_s))
    except tuple(ALARMED_ERRORS) as exc:
        emit({metric: 1 for error, metric in ALARMED_ERRORS.items() if isinstance(exc, error)})
        raise
    except JadaError:
        raise
    except Exception as exc:
        failure = aws.transient_failure(exc)
        if failure is None:
            raise
        raise AwsUnavailable(f"an AWS request failed: {type(failure).__name__}: {failure}") from exc
    logger().info(
        "batch done", extra={"status": result.status, "turns": result.turns, "reason": result.reason}
    )
    return Invocation(output=result.output(), metrics=batch_metrics(result), result=result)


def batch_metrics(result: BatchResult) -> dict[str, float]:
    """Metric name -> value for one batch; zeros are left out (they say nothing)."""
    usage = result.usage
    values = {
        M.TURNS: result.turns_run,
        M.INPUT_TOKENS: usage.input_tokens,
        M.OUTPUT_TOKENS: usage.output_tokens,
        M.CACHE_WRITE_TOKENS: usage.cache_write_tokens,
        M.CACHE_READ_TOKENS: usage.cache_read_tokens,
        M.COST_USD: usage.cost_usd,
    }
    return {name: value for name, value in values.items() if value}
