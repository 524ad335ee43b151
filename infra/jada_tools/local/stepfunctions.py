"""What the simulator needs to know about moto's Step Functions executions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jada_tools.local.intrinsics import ACCOUNT
from jada_tools.local.metrics import MetricStore

#: CloudWatch's AWS/States metric for each way an execution ends
ENDED_METRICS = {
    "SUCCEEDED": "ExecutionsSucceeded",
    "FAILED": "ExecutionsFailed",
    "TIMED_OUT": "ExecutionsTimedOut",
    "ABORTED": "ExecutionsAborted",
}


@dataclass(frozen=True)
class ExecutionView:
    arn: str
    state_machine_arn: str
    name: str
    status: str
    started: datetime | None
    stopped: datetime | None
    input: dict[str, Any]
    output: dict[str, Any] | None
    error: str | None


def _backend(region: str) -> Any:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    return stepfunctions_parser_backends[ACCOUNT][region]


def executions(region: str) -> list[Any]:
    backend = _backend(region)
    return [e for sm in list(backend.state_machines) for e in list(sm.executions)]


def running_count(region: str) -> int:
    return sum(1 for e in executions(region) if _status(e) == "RUNNING")


def _status(execution: Any) -> str:
    status = execution.exec_status
    return str(getattr(status, "value", status))


def view(execution: Any) -> ExecutionView:
    parsed, data = _json(getattr(execution, "output", None)), _json(execution.input_data)
    return ExecutionView(
        arn=execution.exec_arn,
        state_machine_arn=str(execution.state_machine_arn),
        name=execution.name,
        status=_status(execution),
        started=execution.start_date,
        stopped=getattr(execution, "stop_date", None),
        input=data if isinstance(data, dict) else {},
        output=parsed if isinstance(parsed, dict) else None,
        error=getattr(execution, "error", None),
    )


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


@dataclass(frozen=True)
class ExecutionChange:
    """An execution seen for the first time (`before` is None) or with a new status."""

    execution: ExecutionView
    before: str | None


class ExecutionWatcher:
    """Notices executions starting and ending, and records the AWS/States metrics CloudWatch would."""

    def __init__(self, region: str, metrics: MetricStore) -> None:
        self.region = region
        self.metrics = metrics
        #: every execution seen, in the order they were first seen, as last seen
        self.seen: dict[str, ExecutionView] = {}

    def changes(self, now: datetime) -> list[ExecutionChange]:
        found = []
        for execution in executions(self.region):
            v = view(execution)
            before = self.seen.get(v.arn)
            if before is not None and before.status == v.status:
                continue
            self.seen[v.arn] = v
            found.append(ExecutionChange(v, before.status if before else None))
            dims = {"StateMachineArn": v.state_machine_arn}
            if before is None:
                self.metrics.put("AWS/States", "ExecutionsStarted", dims, v.started or now, 1)
            if v.status != "RUNNING":
                for status, name in ENDED_METRICS.items():
                    value = 1 if v.status == status else 0
                    self.metrics.put("AWS/States", name, dims, v.stopped or now, value)
        return found


def stop_running(region: str, cause: str) -> int:
    """Stop every running execution (as `StopExecution` would); returns how many."""
    import boto3

    sfn = boto3.client("stepfunctions", region_name=region)
    running = [v for v in map(view, executions(region)) if v.status == "RUNNING"]
    for v in running:
        sfn.stop_execution(executionArn=v.arn, error="LocalRunEnded", cause=cause)
    return len(running)
