"""Metric and alarm names: the contract between the code that emits and the alarms that watch.

Every metric is in namespace `Jada` with exactly one dimension, `service` = `jada`
(Powertools adds it from POWERTOOLS_SERVICE_NAME). Alarms in infra/ import these names, and every
alarm is named `<stack>-<alarm id>` (`alarm_name`).

Handlers all have one shape: the Powertools metrics and logger decorators, one domain call that
returns an `Invocation`, `emit(invocation.metrics)`, return `invocation.output`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

NAMESPACE = "Jada"
SERVICE = "jada"
DIMENSIONS = {"service": SERVICE}
#: the stack's name unless a deployment chooses another (the CLI's `--stack` default)
STACK_NAME = "Jada"
#: the sheet sync's alarm ids start with this: `jada sync status` lists `<stack>-SheetSync*`
SHEET_SYNC_ALARMS = "SheetSync"


def alarm_name(stack: str, alarm_id: str) -> str:
    return f"{stack}-{alarm_id}"


class M:
    """Metric names."""

    # poll
    POLL_HEARTBEAT = "PollHeartbeat"
    SESSIONS_STARTED = "SessionsStarted"
    QUOTA_EXHAUSTED = "QuotaExhausted"
    CONCURRENCY_CAPPED = "ConcurrencyCapReached"
    # sessions
    TURNS = "Turns"
    INPUT_TOKENS = "InputTokens"
    OUTPUT_TOKENS = "OutputTokens"
    CACHE_WRITE_TOKENS = "CacheWriteTokens"
    CACHE_READ_TOKENS = "CacheReadTokens"
    COST_USD = "CostUsd"
    SESSION_COMPLETED = "SessionCompleted"
    SESSION_TURN_LIMIT = "SessionTurnLimit"
    SESSION_BLOCKED = "SessionBlocked"
    SESSION_FAILED = "SessionFailed"
    SESSION_STOPPED = "SessionStopped"
    TASK_DONE = "TaskDone"
    TASK_SUSPENDED = "TaskSuspended"
    TASK_BLOCKED = "TaskBlocked"
    TASK_FAILED = "TaskFailed"
    MODEL_AUTH_FAILED = "ModelAuthFailed"
    SPEND_LIMIT_REACHED = "SpendLimitReached"
    # sheet sync
    SYNC_OK = "SyncSucceeded"
    SYNC_TOKEN_ERROR = "SyncTokenError"  # noqa: S105 (a metric name, not a secret)
    SYNC_TRANSIENT_ERROR = "SyncTransientError"
    SYNC_CONFIG_ERROR = "SyncConfigError"
    SYNC_NOT_CONFIGURED = "SyncNotConfigured"
    SYNC_SUSPICIOUS = "SyncSuspicious"
    TOKEN_AGE_DAYS = "TokenAgeDays"  # noqa: S105 (a metric name, not a secret)
    ROWS_WRITTEN = "RowsWritten"
    ROWS_TOMBSTONED = "RowsTombstoned"
    ROWS_QUARANTINED = "RowsQuarantined"


@cache
def logger():  # type: ignore[no-untyped-def]
    """One Powertools Logger for the process (created lazily: never at import time)."""
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)


@cache
def metrics():  # type: ignore[no-untyped-def]
    import warnings

    from aws_lambda_powertools import Metrics

    # an invocation with nothing worth a metric (zeros are not sent) is normal, not a warning
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    return Metrics(namespace=NAMESPACE, service=SERVICE)


#: metrics that are not counts, by the name of their Powertools `MetricUnit`; all others: Count
UNITS = {M.COST_USD: "NoUnit", M.TOKEN_AGE_DAYS: "NoUnit"}

R = TypeVar("R")


@dataclass(frozen=True)
class Invocation(Generic[R]):
    """What a handler's one domain call gives back."""

    #: the function's return value
    output: dict[str, Any]
    #: metric name -> value, emitted once per invocation
    metrics: Mapping[str, float]
    #: the domain result itself (for callers other than the handler)
    result: R


def emit(values: Mapping[str, float]) -> None:
    """Add metrics to this invocation's EMF document (flushed by the `log_metrics` decorator).

    A zero is not sent: CloudWatch bills a custom metric for every hour it receives data, and a 0
    says nothing an alarm needs (error alarms treat missing data as not breaching; heartbeats are
    1 and their alarms treat missing data as breaching)."""
    from aws_lambda_powertools.metrics import MetricUnit

    for name, value in values.items():
        if value:
            metrics().add_metric(name=name, unit=MetricUnit[UNITS.get(name, "Count")], value=value)
