"""Alerting: one SNS topic with the operator's email subscription, and alarms that notify it.

Alarms watch metrics by the names in jada.telemetry, so what the code emits and what the
alarms watch cannot drift apart.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct
from jada.telemetry import DIMENSIONS, NAMESPACE, alarm_name


def jada_metric(name: str, *, statistic: str = "Sum", period: Duration | None = None) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        dimensions_map=dict(DIMENSIONS),
        statistic=statistic,
        period=period or Duration.minutes(5),
    )


class Alerting(Construct):
    def __init__(self, scope: Construct, cid: str, *, alert_email: str) -> None:
        super().__init__(scope, cid)
        self.topic = sns.Topic(
            self,
            "AlertTopic",
            display_name="jada alerts",
            master_key=kms.Alias.from_alias_name(self, "SnsKey", "alias/aws/sns"),
            enforce_ssl=True,
        )
        self.topic.add_subscription(subscriptions.EmailSubscription(alert_email))
        self._action = actions.SnsAction(self.topic)
        #: every alarm made by `alarm`, in order (the dashboard shows their states)
        self.alarms: list[cloudwatch.Alarm] = []

    def alarm(
        self,
        cid: str,
        *,
        metric: cloudwatch.IMetric,
        description: str,
        threshold: float = 1,
        evaluation_periods: int = 1,
        comparison: cloudwatch.ComparisonOperator = (
            cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        ),
        treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> cloudwatch.Alarm:
        """An alarm named `<stack>-<cid>` that emails on ALARM and again on OK. `description` is the
        runbook."""
        alarm = cloudwatch.Alarm(
            self,
            cid,
            alarm_name=alarm_name(Stack.of(self).stack_name, cid),
            metric=metric,
            alarm_description=description,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=comparison,
            treat_missing_data=treat_missing_data,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)
        return alarm
