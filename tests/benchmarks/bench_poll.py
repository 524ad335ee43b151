"""Poll Lambda figures: AWS requests per idle poll and per session start (counted with a botocore
event hook against moto). Its cold start, next to the other handlers': bench_cold_start.py.

    .venv/bin/python tests/benchmarks/bench_poll.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any


def request_counts() -> dict[str, Any]:
    import boto3
    from jada.orchestration.poll import poll
    from jada.settings import Settings
    from jada.stores import schema
    from jada.stores.counters import CounterStore
    from jada.stores.tasks import TaskStore
    from moto import mock_aws

    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    now = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)
    with mock_aws():
        ddb = boto3.client("dynamodb")
        ddb.create_table(**schema.TASKS.create_kwargs("tasks"))
        ddb.create_table(**schema.COUNTERS.create_kwargs("counters"))
        machine = boto3.client("stepfunctions").create_state_machine(
            name="m", roleArn="arn:aws:iam::123456789012:role/r",
            definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        )["stateMachineArn"]  # fmt: skip
        calls: list[str] = []
        session = boto3.Session()
        session.events.register("before-call", lambda event_name, **_: calls.append(event_name))
        resource = session.resource("dynamodb")
        tasks, counters = (
            TaskStore("tasks", resource.Table("tasks")),
            CounterStore("counters", resource.Table("counters")),
        )
        settings = Settings.from_env({"SESSIONS_PER_DAY": "100", "MAX_CONCURRENT_SESSIONS": "100"})
        kwargs = {"tasks": tasks, "counters": counters, "sfn": session.client("stepfunctions"),
                  "state_machine_arn": machine, "settings": settings}  # fmt: skip

        started = time.perf_counter()
        poll(now, **kwargs)
        idle_ms = (time.perf_counter() - started) * 1000
        idle = list(calls)

        for i in range(5):
            tasks.create(prompt=f"task {i}", now=now)
        calls.clear()
        started = time.perf_counter()
        result = poll(now, **kwargs)
        busy_ms = (time.perf_counter() - started) * 1000
        per_start = (len(calls) - 1) / len(result.started)  # minus the one Query
    return {
        "idle_requests": len(idle),
        "idle_calls": [c.removeprefix("before-call.") for c in idle],
        "requests_per_session_start": per_start,
        "idle_poll_ms_moto": round(idle_ms, 1),
        "five_starts_ms_moto": round(busy_ms, 1),
    }


def main() -> None:
    print(f"Poll Lambda benchmark (Python {sys.version.split()[0]}, against moto in-process)")
    counts = request_counts()
    print(f"  AWS requests per idle poll:      {counts['idle_requests']}  {counts['idle_calls']}")
    print(f"  AWS requests per session start:  {counts['requests_per_session_start']:.0f}"
          "  (slot get+put, quota update, claim, StartExecution)")  # fmt: skip
    print(
        f"  in-process against moto: idle poll {counts['idle_poll_ms_moto']} ms, "
        f"poll starting 5 sessions {counts['five_starts_ms_moto']} ms"
    )


if __name__ == "__main__":
    main()
