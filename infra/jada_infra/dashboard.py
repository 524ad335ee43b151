"""The CloudWatch dashboard: sessions per day against the quota, turns, model spend per day, the
sheet sync's outcomes and token age, and the state of every alarm.

A dashboard is free as one of an account's first three, $3.00 a month beyond (`jada cost estimate`
lists it so). Viewing it in the console costs nothing more; its widgets read the custom metrics
the functions emit (missing while nothing happens: an empty graph is an idle deployment)."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct
from jada.settings import Settings
from jada.sheets.token import TESTING_TOKEN_DAYS, TOKEN_AGE_WARN_DAYS
from jada.telemetry import M

from jada_infra.alerting import Alerting, jada_metric

DAY, HOUR = Duration.days(1), Duration.hours(1)
WIDTH = 24  # the dashboard grid's width
SYNC_OUTCOMES = (
    M.SYNC_OK, M.SYNC_TOKEN_ERROR, M.SYNC_TRANSIENT_ERROR, M.SYNC_CONFIG_ERROR, M.SYNC_NOT_CONFIGURED,
    M.SYNC_SUSPICIOUS,
)  # fmt: skip


class Dashboard(Construct):
    def __init__(
        self, scope: Construct, cid: str, *, settings: Settings, alerting: Alerting, sync_enabled: bool
    ) -> None:
        super().__init__(scope, cid)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=Stack.of(self).stack_name,
            default_interval=Duration.days(7),
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown="# jada\nSessions, model spend, the port sheet sync and the alarms. Commands: "
                "`jada status`, `jada tasks list`, `jada cost`, `jada sync status`.",
                width=WIDTH,
                height=2,
            )
        )
        self.dashboard.add_widgets(self._sessions(settings), self._turns(), self._spend(settings))
        self.dashboard.add_widgets(*self._sync(sync_enabled))
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alerting.alarms), width=WIDTH, height=4)
        )

    @staticmethod
    def _sessions(settings: Settings) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(
            title="Sessions started per day (UTC) against the quota",
            left=[jada_metric(M.SESSIONS_STARTED, period=DAY).with_(label="sessions started")],
            left_annotations=[
                cloudwatch.HorizontalAnnotation(value=settings.sessions_per_day, label="sessionsPerDay")
            ],
            left_y_axis=cloudwatch.YAxisProps(min=0),
            view=cloudwatch.GraphWidgetView.BAR,
            width=8,
        )

    @staticmethod
    def _turns() -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(
            title="Model turns per hour",
            left=[jada_metric(M.TURNS, period=HOUR).with_(label="turns")],
            left_y_axis=cloudwatch.YAxisProps(min=0),
            width=8,
        )

    @staticmethod
    def _spend(settings: Settings) -> cloudwatch.GraphWidget:
        annotations = []
        if settings.monthly_budget_usd > 0:
            annotations.append(
                cloudwatch.HorizontalAnnotation(
                    value=round(settings.monthly_budget_usd / 30, 2), label="monthly budget / 30"
                )
            )
        return cloudwatch.GraphWidget(
            title="Model spend per day (USD; jada cost has the exact figures)",
            left=[jada_metric(M.COST_USD, period=DAY).with_(label="USD")],
            left_annotations=annotations,
            left_y_axis=cloudwatch.YAxisProps(min=0),
            view=cloudwatch.GraphWidgetView.BAR,
            width=8,
        )

    @staticmethod
    def _sync(enabled: bool) -> list[cloudwatch.IWidget]:
        if not enabled:
            return [
                cloudwatch.TextWidget(
                    markdown="## Port sheet sync: off\nNo `spreadsheetId` is configured; deploy with "
                    "`-c spreadsheetId=<the sheet's id>` to turn it on.",
                    width=WIDTH,
                    height=2,
                )
            ]
        outcomes = cloudwatch.GraphWidget(
            title="Sheet sync runs by outcome (per hour)",
            left=[jada_metric(name, period=HOUR).with_(label=name) for name in SYNC_OUTCOMES],
            left_y_axis=cloudwatch.YAxisProps(min=0),
            view=cloudwatch.GraphWidgetView.BAR,
            stacked=True,
            width=16,
        )
        token = cloudwatch.GraphWidget(
            title="Google token age, days (an app in Testing; reported from day 5)",
            left=[jada_metric(M.TOKEN_AGE_DAYS, statistic="Maximum", period=HOUR).with_(label="age")],
            left_annotations=[
                cloudwatch.HorizontalAnnotation(value=TOKEN_AGE_WARN_DAYS, label="alarm"),
                cloudwatch.HorizontalAnnotation(
                    value=TESTING_TOKEN_DAYS, label="the token dies", color=cloudwatch.Color.RED
                ),
            ],
            left_y_axis=cloudwatch.YAxisProps(min=0, max=TESTING_TOKEN_DAYS + 1),
            width=8,
        )
        return [outcomes, token]

    def outputs(self) -> dict[str, str]:
        return {"DashboardName": self.dashboard.dashboard_name}
