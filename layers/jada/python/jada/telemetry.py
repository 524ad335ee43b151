"""Metric and log names: the contract between the code that emits and the alarms that watch.

Every metric is in namespace `Jada` with exactly one dimension, `service` = `jada`
(Powertools adds it from POWERTOOLS_SERVICE_NAME). Alarms in infra/ import these names.
"""

from __future__ import annotations

from functools import cache

NAMESPACE = "Jada"
SERVICE = "jada"
DIMENSIONS = {"service": SERVICE}


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
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE, service=SERVICE)
