"""Wiring for the Lambda handlers: settings, resources and clients from the environment,
read per invocation (never at import time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from jada import aws
from jada.clock import parse_time, utcnow
from jada.orchestration.poll import PollResult, poll
from jada.orchestration.session_end import (
    SessionEndEvent,
    SessionEndResult,
    end_session,
    event_from_status_change,
)
from jada.settings import Resources, Settings
from jada.stores.counters import CounterStore
from jada.stores.tasks import TaskStore


class PollEvent(BaseModel):
    """The schedule's input: `{"scheduled_time": "<aws.scheduler.scheduled-time>"}`."""

    model_config = ConfigDict(extra="ignore")
    scheduled_time: str | None = None

    def now(self) -> datetime:
        return parse_time(self.scheduled_time) if self.scheduled_time else utcnow()


def poll_from_env(now: datetime) -> PollResult:
    settings, res = Settings.from_env(), Resources.from_env()
    res.require("tasks_table", "counters_table", "state_machine_arn")
    return poll(
        now,
        tasks=TaskStore(res.tasks_table),
        counters=CounterStore(res.counters_table, retention_days=settings.retention_days),
        sfn=aws.client("stepfunctions"),
        state_machine_arn=res.state_machine_arn,
        settings=settings,
    )


def end_session_from_env(event: dict[str, Any], now: datetime | None = None) -> SessionEndResult:
    settings, res = Settings.from_env(), Resources.from_env()
    res.require("tasks_table", "counters_table")
    return end_session(
        _session_end_event(event),
        now or utcnow(),
        tasks=TaskStore(res.tasks_table),
        counters=CounterStore(res.counters_table, retention_days=settings.retention_days),
        sns=aws.client("sns"),
        topic_arn=res.alert_topic_arn,
        settings=settings,
    )


def _session_end_event(event: dict[str, Any]) -> SessionEndEvent:
    """The state machine's payload, or an EventBridge execution status change (the safety net)."""
    if event.get("source") == "aws.states" and isinstance(event.get("detail"), dict):
        return event_from_status_change(event["detail"])
    return SessionEndEvent.model_validate(event)
