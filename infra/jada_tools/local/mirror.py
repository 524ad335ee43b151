"""What a deployed stack shows through the AWS APIs besides its resources, for commands that read
them from another process (`jada local serve`):

- `register_stack`: the CloudFormation stack record, whose Outputs (the provisioned names) are what
  every `jada` command reads with `describe_stacks`, exactly as against AWS;
- `CloudWatchMirror`: the template's alarms in CloudWatch (`describe_alarms`) with the states the
  local cloud's evaluation gives them, and the handlers' EMF metrics (`get_metric_statistics`).

The local cloud evaluates alarms itself (moto never does); the mirror only records the outcome.
"""

from __future__ import annotations

import json
import warnings
from datetime import datetime
from typing import Any

import boto3

from jada_tools.local.alarms import StateChange
from jada_tools.local.engine import Observer
from jada_tools.local.metrics import Datapoint, parse_emf
from jada_tools.local.provision import Deployment

#: a resource moto's CloudFormation accepts and creates nothing for
_PLACEHOLDER = {"LocalCloud": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}
#: data points per PutMetricData request (CloudWatch's limit)
MAX_DATA = 1000
#: alarm properties that are also PutMetricAlarm parameters
_ALARM_KEYS = (
    "AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
    "InsufficientDataActions", "MetricName", "Namespace", "Statistic", "ExtendedStatistic",
    "Dimensions", "Period", "Unit", "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
    "ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics",
)  # fmt: skip


def register_stack(deployment: Deployment, name: str) -> None:
    """A CloudFormation stack `name` whose Outputs are the deployment's (resolved) outputs."""
    template = {
        "Description": "jada in the local cloud (jada local serve)",
        "Resources": _PLACEHOLDER,
        "Outputs": {key: {"Value": value} for key, value in deployment.outputs.items()},
    }
    cfn = boto3.client("cloudformation", region_name=deployment.region)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto: "WaitConditionHandle ... not supported" (nothing to create)
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))


class CloudWatchMirror(Observer):
    """Keeps moto's CloudWatch in step with the local cloud: alarms and their states, and metrics."""

    def __init__(self, deployment: Deployment) -> None:
        self._cw = boto3.client("cloudwatch", region_name=deployment.region)
        for alarm in deployment.alarms:
            params = {k: alarm.properties[k] for k in _ALARM_KEYS if k in alarm.properties}
            self._cw.put_metric_alarm(**params)
            # CloudWatch starts a new alarm in INSUFFICIENT_DATA (moto: OK), as the evaluation does
            self._cw.set_alarm_state(
                AlarmName=alarm.name,
                StateValue="INSUFFICIENT_DATA",
                StateReason="Unchecked: Initial alarm creation",
            )

    def alarm_changed(self, change: StateChange) -> None:
        self._cw.set_alarm_state(
            AlarmName=change.alarm.name, StateValue=change.new, StateReason=change.reason[:1000]
        )

    def feed(self, text: str, at: datetime) -> None:
        """A handler's output: its EMF lines as CloudWatch data points (one request per namespace)."""
        by_namespace: dict[str, list[dict[str, Any]]] = {}
        for line in text.splitlines():
            for point in parse_emf(line, at):
                by_namespace.setdefault(point.namespace, []).append(_datum(point))
        for namespace, data in by_namespace.items():
            for first in range(0, len(data), MAX_DATA):
                self._cw.put_metric_data(Namespace=namespace, MetricData=data[first : first + MAX_DATA])


def _datum(point: Datapoint) -> dict[str, Any]:
    return {
        "MetricName": point.name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(point.dimensions)],
        "Timestamp": point.at,
        "Values": list(point.values),
    }
