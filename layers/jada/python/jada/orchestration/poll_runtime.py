"""Wiring for the poll Lambda, kept light for its cold start: an idle poll (nothing runnable) reads
three environment variables, makes one DynamoDB Query and imports nothing else (no pydantic, no
Step Functions client). Settings, the task model and the poller load only when a task is runnable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from jada.clock import parse_time, utcnow
from jada.errors import ConfigurationError
from jada.stores.queue import RunnableQueue
from jada.telemetry import Invocation, M

#: the environment variables an idle poll needs
TASKS_TABLE, COUNTERS_TABLE, STATE_MACHINE_ARN = "TASKS_TABLE", "COUNTERS_TABLE", "STATE_MACHINE_ARN"


def poll_from_env(
    event: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None
) -> Invocation[Any]:
    env = os.environ if environ is None else environ
    missing = [name for name in (TASKS_TABLE, COUNTERS_TABLE, STATE_MACHINE_ARN) if not env.get(name)]
    if missing:
        raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
    now = scheduled_time(event)
    items = RunnableQueue(env[TASKS_TABLE]).items(now)
    if not items:
        output = {"runnable": 0, "started": [], "already_started": [], "stopped_by": None}
        return Invocation(output=output, metrics={M.POLL_HEARTBEAT: 1}, result=None)  # the heartbeat only
    return _poll(now, items, env)


def scheduled_time(event: Mapping[str, Any] | None) -> datetime:
    """The schedule's input `{"scheduled_time": "<aws.scheduler.scheduled-time>"}`, else now."""
    value = (event or {}).get("scheduled_time")
    return parse_time(value) if isinstance(value, str) and value else utcnow()


def _poll(now: datetime, items: list[dict[str, Any]], env: Mapping[str, str]) -> Invocation[Any]:
    from jada.orchestration.poll import poll
    from jada.orchestration.runtime import LazyClient
    from jada.settings import Settings
    from jada.stores.counters import CounterStore
    from jada.stores.tasks import TaskStore, task_of

    settings = Settings.from_env(env)
    result = poll(
        now,
        candidates=[task_of(item) for item in items],
        tasks=TaskStore(env[TASKS_TABLE]),
        counters=CounterStore(env[COUNTERS_TABLE], retention_days=settings.retention_days),
        sfn=LazyClient("stepfunctions"),
        state_machine_arn=env[STATE_MACHINE_ARN],
        settings=settings,
    )
    output = {
        "runnable": result.runnable,
        "started": result.started,
        "already_started": result.already_started,
        "stopped_by": result.stopped_by,
    }
    return Invocation(output=output, metrics=result.metrics(), result=result)
