"""What the loop needs to know about moto's Step Functions executions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jada_tools.local.intrinsics import ACCOUNT


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
