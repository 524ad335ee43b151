"""What a synthesized template says about cost: alarms and the metrics they read, secrets,
dashboards, functions (memory, architecture, tracing) and the schedules that invoke them, and
the session state machine's transitions per turn batch."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jada_tools.local.provision import Provisioner, rate_seconds, resources_of_type

MONTH_SECONDS = 730 * 3600


@dataclass(frozen=True)
class AlarmFacts:
    name: str
    #: metrics it reads (a metric-math alarm is billed per metric)
    metrics: int
    high_resolution: bool = False


@dataclass(frozen=True)
class FunctionFacts:
    folder: str
    memory_mb: int
    architecture: str
    tracing: str
    #: invocations a month by its schedules (0: invoked only by sessions or people)
    scheduled_per_month: float = 0.0


@dataclass(frozen=True)
class SessionShape:
    """State transitions of one session: `per_batch` for each turn batch, `at_end` once."""

    per_batch: int
    at_end: int

    def transitions(self, batches: int) -> int:
        return self.per_batch * batches + self.at_end


@dataclass(frozen=True)
class TemplateFacts:
    alarms: list[AlarmFacts] = field(default_factory=list)
    secrets: int = 0
    dashboards: int = 0
    functions: dict[str, FunctionFacts] = field(default_factory=dict)
    session: SessionShape | None = None

    def function(self, folder: str) -> FunctionFacts | None:
        return self.functions.get(folder)


def facts_of(template: dict[str, Any]) -> TemplateFacts:
    """Cost facts of a template synthesized with asset metadata (as the local cloud does)."""
    return TemplateFacts(
        alarms=[
            _alarm(lid, r["Properties"])
            for lid, r in resources_of_type(template, "AWS::CloudWatch::Alarm").items()
        ],
        secrets=len(resources_of_type(template, "AWS::SecretsManager::Secret")),
        dashboards=len(resources_of_type(template, "AWS::CloudWatch::Dashboard")),
        functions=_functions(template),
        session=_session_shape(template),
    )


def _alarm(lid: str, props: dict[str, Any]) -> AlarmFacts:
    name = props.get("AlarmName", lid)
    name = name if isinstance(name, str) else lid
    if "MetricName" in props:
        return AlarmFacts(name, 1, int(props.get("Period", 60)) < 60)
    stats = [m["MetricStat"] for m in props.get("Metrics", []) if "MetricStat" in m]
    return AlarmFacts(name, len(stats), any(int(s.get("Period", 60)) < 60 for s in stats))


def _functions(template: dict[str, Any]) -> dict[str, FunctionFacts]:
    per_month: dict[str, float] = {}
    for schedule in resources_of_type(template, "AWS::Scheduler::Schedule").values():
        props = schedule["Properties"]
        if props.get("State", "ENABLED") != "ENABLED":
            continue
        target = props["Target"]["Arn"]
        lid = target["Fn::GetAtt"][0] if isinstance(target, dict) and "Fn::GetAtt" in target else str(target)
        per_month[lid] = per_month.get(lid, 0.0) + MONTH_SECONDS / rate_seconds(props["ScheduleExpression"])
    found: dict[str, FunctionFacts] = {}
    for lid, resource in resources_of_type(template, "AWS::Lambda::Function").items():
        props = resource["Properties"]
        folder = Path(resource.get("Metadata", {}).get("aws:asset:path", lid)).name
        architectures = props.get("Architectures") or ["x86_64"]
        found[folder] = FunctionFacts(
            folder=folder,
            memory_mb=int(props.get("MemorySize", 128)),
            architecture=str(architectures[0]),
            tracing=str((props.get("TracingConfig") or {}).get("Mode", "PassThrough")),
            scheduled_per_month=per_month.get(lid, 0.0),
        )
    return found


def _session_shape(template: dict[str, Any]) -> SessionShape | None:
    """Walk the definition: states from StartAt to the loop's Choice run once per batch; the
    Choice's default branch to the end runs once."""
    machines = list(resources_of_type(template, "AWS::StepFunctions::StateMachine"))
    if len(machines) != 1:
        return None
    definition = json.loads(Provisioner(template).definition(machines[0]))
    states = definition["States"]
    loop, name = 0, definition["StartAt"]
    while states[name]["Type"] != "Choice":
        loop += 1
        name = states[name].get("Next")
        if name is None:  # no loop: every state runs once
            return SessionShape(per_batch=0, at_end=loop)
    loop += 1
    end, name = 0, states[name].get("Default")
    while name is not None:
        end += 1
        name = states[name].get("Next")
    return SessionShape(per_batch=loop, at_end=end)


def batches(turns: int, turns_per_batch: int) -> int:
    return max(1, math.ceil(turns / max(1, turns_per_batch)))
