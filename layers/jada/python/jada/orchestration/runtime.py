"""Wiring for the Lambda handlers: settings, resources and clients from the environment,
read per invocation (never at import time)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from jada import aws
from jada.clock import utcnow
from jada.orchestration.session_end import (
    SessionEndEvent,
    SessionEndResult,
    end_session,
    event_from_status_change,
)
from jada.settings import Resources, Settings
from jada.stores.counters import CounterStore
from jada.stores.tasks import TaskStore
from jada.telemetry import Invocation


class LazyClient:
    """A boto3 client made on first use (an idle poll starts no execution; most session ends
    publish nothing), so an invocation that needs none does not pay for it."""

    def __init__(self, service: str) -> None:
        self.service = service

    def __getattr__(self, name: str) -> Any:
        return getattr(aws.client(self.service), name)


def end_session_from_env(
    event: Mapping[str, Any], now: datetime | None = None
) -> Invocation[SessionEndResult]:
    from jada.stores.checkpoints import CheckpointStore  # not on the poll's import path

    settings, res = Settings.from_env(), Resources.from_env()
    res.require("tasks_table", "counters_table", "checkpoints_table", "checkpoint_bucket")
    result = end_session(
        _session_end_event(event),
        now or utcnow(),
        tasks=TaskStore(res.tasks_table),
        counters=CounterStore(res.counters_table, retention_days=settings.retention_days),
        sns=LazyClient("sns"),
        topic_arn=res.alert_topic_arn,
        settings=settings,
        checkpoints=CheckpointStore(
            res.checkpoints_table, res.checkpoint_bucket, retention_days=settings.retention_days
        ),
    )
    return Invocation(output=result.output(), metrics=result.metrics, result=result)


def _session_end_event(event: Mapping[str, Any]) -> SessionEndEvent:
    """The state machine's payload, or an EventBridge execution status change (the safety net)."""
    if event.get("source") == "aws.states" and isinstance(event.get("detail"), dict):
        return event_from_status_change(event["detail"])
    return SessionEndEvent.model_validate(event)
