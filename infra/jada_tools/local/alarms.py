"""CloudWatch alarm evaluation on the simulated clock, for the alarms the template declares:
alarms on one metric, and on a metric-math expression of metrics (`+ - * /`, numbers, `FILL`)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jada_tools.local.metrics import MetricStore, dims_of, statistic

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
_COMPARE = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


@dataclass
class MetricQuery:
    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str]]
    stat: str
    period: int


class Expression:
    """A metric-math expression over the metrics `metrics` names by id. A metric without data in a
    period is missing (None); arithmetic on a missing value is missing; `FILL(m, v)` is `v` then."""

    FUNCTIONS = ("FILL",)

    def __init__(self, text: str, metrics: dict[str, MetricQuery]) -> None:
        self.text = text
        self.metrics = metrics
        self.period = max(q.period for q in metrics.values())
        self._tree = ast.parse(text.strip(), mode="eval")
        self._check(self._tree.body)

    def _check(self, node: ast.AST) -> None:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            self._check(node.operand)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, int | float)) or (
            isinstance(node, ast.Name) and node.id in self.metrics
        ):
            return
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.FUNCTIONS
            and len(node.args) == 2 and not node.keywords
        ):  # fmt: skip
            self._check(node.args[0])
            self._check(node.args[1])
        else:
            raise ValueError(f"metric math the local cloud does not evaluate: {self.text!r}")

    def value(self, store: MetricStore, start: datetime, end: datetime) -> float | None:
        values: dict[str, float | None] = {}
        for mid, q in self.metrics.items():
            samples = store.values(q.namespace, q.name, q.dimensions, start, end)
            values[mid] = statistic(q.stat, samples) if samples else None
        return self._eval(self._tree.body, values)

    def _eval(self, node: ast.AST, values: dict[str, float | None]) -> float | None:
        if isinstance(node, ast.Constant):
            return float(node.value)  # type: ignore[arg-type]  # a number: checked in _check
        if isinstance(node, ast.Name):
            return values[node.id]
        if isinstance(node, ast.Call):  # FILL
            found = self._eval(node.args[0], values)
            return self._eval(node.args[1], values) if found is None else found
        if isinstance(node, ast.UnaryOp):
            operand = self._eval(node.operand, values)
            return None if operand is None else -operand
        assert isinstance(node, ast.BinOp)
        left, right = self._eval(node.left, values), self._eval(node.right, values)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right if right else None


@dataclass
class StateChange:
    alarm: AlarmState
    old: str
    new: str
    reason: str
    at: datetime


@dataclass
class AlarmState:
    name: str
    description: str
    query: MetricQuery
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: str
    missing: str
    alarm_actions: list[str]
    ok_actions: list[str]
    #: for an alarm on metric math: the expression (`query` is then its first metric)
    expression: Expression | None = None
    state: str = INSUFFICIENT
    history: list[StateChange] = field(default_factory=list)

    @classmethod
    def from_properties(cls, props: dict[str, Any]) -> AlarmState:
        periods = int(props.get("EvaluationPeriods", 1))
        expression = _expression(props)
        return cls(
            name=props["AlarmName"],
            description=props.get("AlarmDescription", ""),
            query=next(iter(expression.metrics.values())) if expression else _query(props),
            expression=expression,
            evaluation_periods=periods,
            datapoints_to_alarm=int(props.get("DatapointsToAlarm", periods)),
            threshold=float(props.get("Threshold", 0)),
            comparison=props.get("ComparisonOperator", "GreaterThanOrEqualToThreshold"),
            missing=props.get("TreatMissingData", "missing"),
            alarm_actions=list(props.get("AlarmActions", [])),
            ok_actions=list(props.get("OKActions", [])),
        )

    def evaluate(self, metrics: MetricStore, now: datetime) -> StateChange | None:
        """One evaluation at `now` (every minute): the periods are the ones just before `now`."""
        q = self.query
        period = self.expression.period if self.expression else q.period
        end = now
        values: list[float | None] = []
        for i in range(self.evaluation_periods, 0, -1):
            start = end - timedelta(seconds=period * i)
            stop = start + timedelta(seconds=period)
            if self.expression is not None:
                values.append(self.expression.value(metrics, start, stop))
                continue
            samples = metrics.values(q.namespace, q.name, q.dimensions, start, stop)
            values.append(statistic(q.stat, samples) if samples else None)
        new, reason = self._decide(values)
        if new is None or new == self.state:
            return None
        change = StateChange(self, self.state, new, reason, now)
        self.state = new
        self.history.append(change)
        return change

    def _decide(self, values: list[float | None]) -> tuple[str | None, str]:
        compare = _COMPARE[self.comparison]
        present = [v for v in values if v is not None]
        missing = len(values) - len(present)
        if not present and self.missing in {"missing", "ignore"}:
            if self.missing == "ignore":
                return None, ""
            return INSUFFICIENT, "Insufficient Data: no datapoints were received for the evaluation periods."
        breaching = sum(1 for v in present if compare(v, self.threshold))
        if self.missing == "breaching":
            breaching += missing
        shown = ", ".join("missing" if v is None else _num(v) for v in values)
        op = _SYMBOL[self.comparison]
        count = f"{breaching} out of the last {len(values)} datapoints"
        if breaching >= self.datapoints_to_alarm:
            return (
                ALARM,
                f"Threshold Crossed: {count} [{shown}] were {op} the threshold ({_num(self.threshold)}).",
            )
        return (
            OK,
            f"Threshold Crossed: {count} [{shown}] were {op} the threshold ({_num(self.threshold)}) "
            f"(minimum {self.datapoints_to_alarm} datapoints for OK -> ALARM transition).",
        )


_SYMBOL = {
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "GreaterThanThreshold": "greater than",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}


def _num(value: float) -> str:
    return f"{value:g}"


def _query(props: dict[str, Any]) -> MetricQuery:
    if "MetricName" in props:
        return MetricQuery(
            namespace=props.get("Namespace", ""),
            name=props["MetricName"],
            dimensions=dims_of(props.get("Dimensions")),
            stat=props.get("Statistic") or props.get("ExtendedStatistic") or "Average",
            period=int(props.get("Period", 60)),
        )
    # A Metrics list without an expression: the one MetricStat that returns data.
    for item in props.get("Metrics", []):
        if item.get("MetricStat") and item.get("ReturnData", True):
            return _metric_stat(item["MetricStat"])
    raise ValueError(f"alarm {props.get('AlarmName')}: no metric that returns data")


def _metric_stat(stat: dict[str, Any]) -> MetricQuery:
    metric = stat["Metric"]
    return MetricQuery(
        namespace=metric.get("Namespace", ""),
        name=metric["MetricName"],
        dimensions=dims_of(metric.get("Dimensions")),
        stat=stat.get("Stat", "Average"),
        period=int(stat.get("Period", 60)),
    )


def _expression(props: dict[str, Any]) -> Expression | None:
    """The metric-math expression that returns data, with the metrics it reads by id."""
    items = props.get("Metrics") or []
    returned = [i for i in items if "Expression" in i and i.get("ReturnData", True)]
    if not returned:
        return None
    metrics = {i["Id"]: _metric_stat(i["MetricStat"]) for i in items if "MetricStat" in i}
    try:
        return Expression(returned[0]["Expression"], metrics)
    except (SyntaxError, ValueError) as exc:
        raise ValueError(f"alarm {props.get('AlarmName')}: {exc}") from None


def notification(change: StateChange, region: str, account: str) -> tuple[str, str]:
    """(subject, body) shaped like CloudWatch's alarm email."""
    a = change.alarm
    q = a.query
    subject = f'{change.new}: "{a.name}" in {_region_name(region)}'
    dims = ", ".join(f"[{k} = {v}]" for k, v in sorted(q.dimensions)) or "(none)"
    body = "\n".join([
        f'You are receiving this email because your Amazon CloudWatch Alarm "{a.name}" in the '
        f"{_region_name(region)} region has entered the {change.new} state, because \"{change.reason}\" at "
        f'"{change.at:%A %d %B, %Y %H:%M:%S} UTC".',
        "",
        "Alarm Details:",
        f"- Name:                       {a.name}",
        f"- Description:                {a.description}",
        f"- State Change:               {change.old} -> {change.new}",
        f"- Reason for State Change:    {change.reason}",
        f"- Timestamp:                  {change.at:%A %d %B, %Y %H:%M:%S} UTC",
        f"- AWS Account:                {account}",
        "",
        "Threshold:",
        f"- The alarm is in the ALARM state when the metric is {_SYMBOL[a.comparison]} {_num(a.threshold)} "
        f"for at least {a.datapoints_to_alarm} of the last {a.evaluation_periods} period(s) "
        f"of {q.period} seconds.",
        "",
        "Monitored Metric:",
        *([f"- Expression:                 {a.expression.text}"] if a.expression else []),
        f"- MetricNamespace:            {q.namespace}",
        f"- MetricName:                 {q.name}",
        f"- Dimensions:                 {dims}",
        f"- Period:                     {q.period} seconds",
        f"- Statistic:                  {q.stat}",
        f"- TreatMissingData:           {a.missing}",
    ])  # fmt: skip
    return subject, body


def _region_name(region: str) -> str:
    return {"us-east-1": "US East (N. Virginia)", "eu-west-1": "EU (Ireland)"}.get(region, region)


class AlarmEvaluator:
    """CloudWatch's side of the template's alarms: samples the SQS queue depths they watch, evaluates
    each alarm and publishes its actions' SNS notifications, as the service does every minute."""

    def __init__(self, alarms: list[AlarmState], metrics: MetricStore, region: str, account: str) -> None:
        import boto3

        self.alarms = alarms
        self.metrics = metrics
        self.region = region
        self.account = account
        self._sns = boto3.client("sns", region_name=region)
        self._sqs = boto3.client("sqs", region_name=region)
        self._queue_urls: dict[str, str] = {}

    def evaluate(self, now: datetime) -> list[StateChange]:
        self._sample_queues(now)
        changes = []
        for alarm in self.alarms:
            change = alarm.evaluate(self.metrics, now)
            if change is None:
                continue
            changes.append(change)
            if change.new == ALARM:
                actions = alarm.alarm_actions
            elif change.new == OK and change.old != INSUFFICIENT:  # the first OK after deploy is no news
                actions = alarm.ok_actions
            else:
                actions = []
            subject, body = notification(change, self.region, self.account)
            for arn in actions:
                if ":sns:" in arn:
                    self._sns.publish(TopicArn=arn, Subject=subject[:100], Message=body)
        return changes

    def _sample_queues(self, now: datetime) -> None:
        """AWS/SQS ApproximateNumberOfMessagesVisible for the queues alarms watch (CloudWatch samples it)."""
        for alarm in self.alarms:
            q = alarm.query
            name = dict(q.dimensions).get("QueueName")
            if (q.namespace, q.name) != ("AWS/SQS", "ApproximateNumberOfMessagesVisible") or not name:
                continue
            if name not in self._queue_urls:
                self._queue_urls[name] = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attrs = self._sqs.get_queue_attributes(
                QueueUrl=self._queue_urls[name], AttributeNames=["ApproximateNumberOfMessages"]
            )
            count = float(attrs["Attributes"]["ApproximateNumberOfMessages"])
            self.metrics.put("AWS/SQS", q.name, dict(q.dimensions), now - timedelta(seconds=1), count)
