from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jada_tools.local.alarms import ALARM, INSUFFICIENT, OK, AlarmState, notification
from jada_tools.local.metrics import MetricStore, parse_emf

T0 = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)
DIMS = [{"Name": "service", "Value": "jada"}]


def alarm(**props: object) -> AlarmState:
    base = {
        "AlarmName": "a", "AlarmDescription": "Runbook: do X.", "Namespace": "Jada", "MetricName": "M",
        "Dimensions": DIMS, "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
        "AlarmActions": ["arn:topic"], "OKActions": ["arn:topic"],
    }  # fmt: skip
    return AlarmState.from_properties({**base, **props})


def put(store: MetricStore, at: datetime, value: float, name: str = "M") -> None:
    store.put("Jada", name, {"service": "jada"}, at, value)


def test_breach_then_recovery_with_not_breaching_missing_data() -> None:
    store, a = MetricStore(), alarm()
    assert a.evaluate(store, T0).new == OK  # type: ignore[union-attr]
    put(store, T0 + timedelta(minutes=1), 1)
    assert a.evaluate(store, T0 + timedelta(minutes=1)) is None  # the period ends before the point
    change = a.evaluate(store, T0 + timedelta(minutes=2))  # the 5 minutes up to 22:02 hold it
    assert change is not None
    assert (change.old, change.new) == (OK, ALARM)
    assert a.evaluate(store, T0 + timedelta(minutes=6)) is None  # 22:01-22:06 still holds it
    assert a.evaluate(store, T0 + timedelta(minutes=7)).new == OK  # type: ignore[union-attr]


def test_heartbeat_alarm_breaches_on_missing_data() -> None:
    store = MetricStore()
    put(store, T0 + timedelta(minutes=1), 1)
    # 3 periods of 30 minutes, 2 to alarm: missing periods breach
    a = alarm(ComparisonOperator="LessThanThreshold", TreatMissingData="breaching", Period=1800,
              EvaluationPeriods=3, DatapointsToAlarm=2)  # fmt: skip
    assert a.evaluate(store, T0 + timedelta(minutes=2)).new == ALARM  # type: ignore[union-attr]
    a = alarm(ComparisonOperator="LessThanThreshold", TreatMissingData="breaching", Period=1800,
              EvaluationPeriods=3)  # fmt: skip
    assert a.evaluate(store, T0 + timedelta(minutes=2)).new == OK  # type: ignore[union-attr]
    # one 90-minute period: a success keeps it OK for 90 minutes
    b = alarm(ComparisonOperator="LessThanThreshold", TreatMissingData="breaching", Period=5400)
    assert b.evaluate(store, T0 + timedelta(minutes=2)).new == OK  # type: ignore[union-attr]
    assert b.evaluate(store, T0 + timedelta(minutes=91)) is None  # 20:31-22:01 ... 22:01 is in
    assert b.evaluate(store, T0 + timedelta(minutes=92)).new == ALARM  # type: ignore[union-attr]


def test_datapoints_to_alarm_and_statistics() -> None:
    store = MetricStore()
    a = alarm(Statistic="Maximum", Period=60, EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=5,
              ComparisonOperator="GreaterThanThreshold")  # fmt: skip
    put(store, T0, 9)  # max 9 in 22:00-22:01
    put(store, T0, 1)
    put(store, T0 + timedelta(minutes=1), 2)
    assert a.evaluate(store, T0 + timedelta(minutes=3)).new == OK  # type: ignore[union-attr]  # 9, 2, missing
    put(store, T0 + timedelta(minutes=3), 6)
    assert a.evaluate(store, T0 + timedelta(minutes=4)) is None  # 2, missing, 6: 1 of 3 breaching
    assert a.state == OK
    put(store, T0 + timedelta(minutes=4), 7)
    assert a.evaluate(store, T0 + timedelta(minutes=5)).new == ALARM  # type: ignore[union-attr]  # -, 6, 7


def test_missing_data_missing_means_insufficient() -> None:
    a = alarm(TreatMissingData="missing")
    change = a.evaluate(MetricStore(), T0 + timedelta(minutes=5))
    assert change is None
    assert a.state == INSUFFICIENT


def test_other_dimensions_do_not_count() -> None:
    store, a = MetricStore(), alarm()
    store.put("Jada", "M", {"service": "other"}, T0, 5)
    assert a.evaluate(store, T0 + timedelta(minutes=5)).new == OK  # type: ignore[union-attr]


def test_notification_is_shaped_like_cloudwatch() -> None:
    store, a = MetricStore(), alarm(AlarmName="Jada-SyncTokenError")
    put(store, T0, 1)
    change = a.evaluate(store, T0 + timedelta(minutes=1))
    assert change is not None
    subject, body = notification(change, "us-east-1", "123456789012")
    assert subject == 'ALARM: "Jada-SyncTokenError" in US East (N. Virginia)'
    assert "Runbook: do X." in body
    assert "INSUFFICIENT_DATA -> ALARM" in body
    assert "Threshold Crossed" in body


def test_emf_lines_become_datapoints() -> None:
    line = (
        '{"_aws":{"Timestamp":1778623260000,"CloudWatchMetrics":[{"Namespace":"Jada","Dimensions":[["service"]],'
        '"Metrics":[{"Name":"SyncSucceeded","Unit":"Count"},{"Name":"RowsWritten","Unit":"Count"}]}]},'
        '"service":"jada","SyncSucceeded":[1.0],"RowsWritten":12}'
    )
    points = parse_emf(line, T0)
    assert [(p.name, p.values, p.at) for p in points] == [
        ("SyncSucceeded", (1.0,), T0 + timedelta(minutes=1)),
        ("RowsWritten", (12.0,), T0 + timedelta(minutes=1)),
    ]
    assert points[0].dimensions == frozenset({("service", "jada")})
    assert parse_emf('{"level":"INFO","message":"hello"}', T0) == []
    assert MetricStore().feed("not json\n" + line, T0) == 2


def math_alarm(expression: str, **props: object) -> AlarmState:
    def stat(mid: str, name: str) -> dict[str, object]:
        metric = {"Namespace": "Jada", "MetricName": name, "Dimensions": DIMS}
        return {
            "Id": mid,
            "MetricStat": {"Metric": metric, "Period": 3600, "Stat": "Sum"},
            "ReturnData": False,
        }

    base = {
        "AlarmName": "m", "AlarmDescription": "Runbook.", "EvaluationPeriods": 1, "Threshold": 1,
        "ComparisonOperator": "LessThanThreshold", "TreatMissingData": "breaching",
        "Metrics": [{"Id": "expr_1", "Expression": expression, "ReturnData": True},
                    stat("ok", "Ok"), stat("err", "Err")],
    }  # fmt: skip
    return AlarmState.from_properties({**base, **props})


def test_a_metric_math_alarm_fills_missing_metrics_and_adds_them() -> None:
    store = MetricStore()
    a = math_alarm("FILL(ok, 0) + FILL(err, 0)")
    assert a.expression is not None
    assert a.expression.period == 3600
    # nothing in the hour: 0 + 0 < 1
    assert a.evaluate(store, T0).new == ALARM  # type: ignore[union-attr]
    # an error run counts as much as a success: the sum is 1
    put(store, T0 + timedelta(minutes=5), 1, name="Err")
    assert a.evaluate(store, T0 + timedelta(minutes=6)).new == OK  # type: ignore[union-attr]
    # an hour later the run left the window
    assert a.evaluate(store, T0 + timedelta(minutes=66)).new == ALARM  # type: ignore[union-attr]


def test_without_fill_a_missing_metric_makes_the_expression_missing() -> None:
    store = MetricStore()
    put(store, T0, 1, name="Ok")
    a = math_alarm(
        "ok + err", TreatMissingData="notBreaching", ComparisonOperator="GreaterThanOrEqualToThreshold"
    )
    assert a.evaluate(store, T0 + timedelta(minutes=1)).new == OK  # type: ignore[union-attr]  # missing, not 1
    put(store, T0, 2, name="Err")
    assert a.evaluate(store, T0 + timedelta(minutes=2)).new == ALARM  # type: ignore[union-attr]  # 1 + 2


def test_unsupported_metric_math_is_refused_by_name() -> None:
    import pytest

    with pytest.raises(ValueError, match="metric math the local cloud does not evaluate"):
        math_alarm("ANOMALY_DETECTION_BAND(ok)")


def test_metric_hours_count_distinct_clock_hours_per_metric() -> None:
    store = MetricStore()
    for minutes in (0, 1, 59, 60, 125):
        put(store, T0 + timedelta(minutes=minutes), 1, name="Beat")
    put(store, T0, 0, name="Rare")
    store.put("AWS/Lambda", "Errors", {"FunctionName": "f"}, T0, 0)
    assert store.hours("Jada") == {"Beat": 3, "Rare": 1}  # 22h, 23h, 00h; other namespaces left out
