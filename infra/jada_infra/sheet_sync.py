"""Sheet sync: the token secret, the sheet table, the sync function and its schedule, and the alarms
that would have caught the incident (a dead token, a sync that stopped, a token about to expire).

Without a `spreadsheetId` the sync is off: no schedule and no alarms (a fresh deploy emails
nothing); the function, the secret and the table stay, so `jada auth google` and `jada sync now`
work and say so. The stack output `SyncEnabled` tells which."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, SecretValue, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from jada.sheets.token import TOKEN_AGE_WARN_DAYS
from jada.stores import schema
from jada.telemetry import SHEET_SYNC_ALARMS, M

from jada_infra.alerting import Alerting, jada_metric
from jada_infra.checkov import NO_CMK, skip_checkov
from jada_infra.config import StackConfig, rate_duration
from jada_infra.functions import dead_letters_for_async, python_function
from jada_infra.layers import SharedLayers
from jada_infra.schedules import dead_letter_queue, lambda_schedule
from jada_infra.state import table_from_spec

STALE_AFTER = Duration.minutes(90)
#: error metrics are sent only by the runs that fail: an error alarm's period spans two sync
#: intervals (at least an hour), so a failing run every interval keeps it in ALARM without
#: flapping, and it returns to OK (one email) a period after the last failing run
ERROR_PERIOD_MIN = Duration.hours(1)
SYNC_TABLE_ACTIONS = ("dynamodb:Query", "dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem")
#: what `read_port_sheet` does on the sheet table: query rows and the newest sync runs
READER_TABLE_ACTIONS = ("dynamodb:Query",)

OCCURRENCE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
SPARSE = cloudwatch.TreatMissingData.NOT_BREACHING  # no failing run in the period: no incident


def runbook(stack: str, what: str, fix: str) -> str:
    return (
        f"{what}\n\nTo fix: {fix}\n"
        f"Check: jada sync status --stack {stack}\nRetry: jada sync now --stack {stack}"
    )


class SheetSync(Construct):
    def __init__(
        self, scope: Construct, cid: str, *, config: StackConfig, alerting: Alerting, layers: SharedLayers
    ) -> None:
        super().__init__(scope, cid)
        stack = Stack.of(self).stack_name
        self.secret = secretsmanager.Secret(
            self,
            "GoogleToken",
            description="Google OAuth authorized-user JSON for the port sheet sync; set by "
            "`jada auth google`",
            # a placeholder, not a secret: the sync reports `not_configured` until the command stores a token
            secret_string_value=SecretValue.unsafe_plain_text("{}"),
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(self.secret).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SMG4",
                reason="A Google OAuth refresh token cannot be rotated by a Lambda: only a person's consent "
                "renews it (`jada auth google`); the TokenAgeDays alarm says when that is due.",
            )
        )
        skip_checkov(self.secret, "CKV_AWS_149", NO_CMK)
        self.table = table_from_spec(self, "SheetTable", schema.SHEET)
        self.function = python_function(
            self,
            "SyncFunction",
            folder="sheet_sync",
            layers=layers,
            settings=config.settings,
            with_dependencies=True,
            timeout=Duration.minutes(2),
            memory_size=512,
            reserved_concurrency=1,  # two overlapping syncs could race on the same rows
            description="Mirrors the port sheet into DynamoDB with a monitored Google OAuth token",
            environment={
                "GOOGLE_TOKEN_SECRET_ID": self.secret.secret_arn,
                "SHEET_TABLE": self.table.table_name,
            },
        )
        self.secret.grant_read(self.function)
        # exactly what jada.sheets.store does: query rows and runs, batch-put rows, tombstone, record runs
        self.table.grant(self.function, *SYNC_TABLE_ACTIONS)
        self._acknowledge_role(self.function)
        #: False without a spreadsheetId: no schedule, no alarms
        self.enabled = bool(config.settings.spreadsheet_id)
        self.dead_letters = self._schedule(config) if self.enabled else None
        if not self.enabled:
            skip_checkov(
                self.function,
                "CKV_AWS_116",
                "The sync is off (no spreadsheetId): no schedule invokes it asynchronously; "
                "`jada sync now` invokes it synchronously and sees any failure.",
            )
        self.alarms = self._alarms(alerting, stack, config) if self.enabled else []

    def _acknowledge_role(self, function: lambda_.Function) -> None:
        Validations.of(function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]",
                reason="The managed policy only lets the function write its own CloudWatch Logs.",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
            ),
            Acknowledgment(
                id="AwsSolutions-L1",
                reason="Pinned to python3.13 like the Powertools public layer and the dependency layer built "
                "for it; the runtime moves with them.",
            ),
        )

    def _schedule(self, config: StackConfig) -> sqs.Queue:
        dead_letters = dead_letter_queue(self, "ScheduleDeadLetters", used_by="the sync schedule's target")
        # a failed run is not retried: the next scheduled run is the retry
        dead_letters_for_async(
            self.function, dead_letters, retry_attempts=0, max_event_age=Duration.minutes(15)
        )
        role = iam.Role(
            self,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
            description="Lets the sync schedule invoke the sync function and dead-letter failed invocations",
        )
        lambda_schedule(
            self,
            "SyncSchedule",
            function=self.function,
            rate=config.settings.sync_rate,
            description="Runs the port sheet sync",
            dead_letters=dead_letters,
            role=role,
            max_event_age=Duration.minutes(15),
        )
        Validations.of(role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{Stack.of(self).get_logical_id(self._cfn_function())}.Arn>:*]",
                reason="lambda:InvokeFunction on the sync function's ARN and its versions (:*), "
                "nothing else.",
            )
        )
        return dead_letters

    def _cfn_function(self) -> lambda_.CfnFunction:
        cfn = self.function.node.default_child
        assert isinstance(cfn, lambda_.CfnFunction)
        return cfn

    def _alarms(self, alerting: Alerting, stack: str, config: StackConfig) -> list[cloudwatch.Alarm]:
        sync_minutes = rate_duration(config.settings.sync_rate).to_minutes()
        stale_after = int(max(STALE_AFTER.to_minutes(), 3 * sync_minutes))
        period = Duration.minutes(min(24 * 60, max(ERROR_PERIOD_MIN.to_minutes(), 2 * sync_minutes)))
        reauth = f"jada auth google --client-secrets client_secret.json --stack {stack}"

        def failing(metric: str, statistic: str = "Sum") -> cloudwatch.Metric:
            return jada_metric(metric, statistic=statistic, period=period)

        return [
            alerting.alarm(
                f"{SHEET_SYNC_ALARMS}TokenError",
                metric=failing(M.SYNC_TOKEN_ERROR),
                comparison=OCCURRENCE,
                treat_missing_data=SPARSE,
                description=runbook(
                    stack,
                    "The Google OAuth token of the port sheet sync was refused (expired or revoked: "
                    "invalid_grant / invalid_rapt). The sheet is no longer mirrored; rows are kept as "
                    "they were.",
                    f"re-authenticate: {reauth} (the deployment's googleAppTesting applies unless you "
                    "pass --testing-app or --production-app)",
                ),
            ),
            alerting.alarm(
                f"{SHEET_SYNC_ALARMS}Stale",
                metric=self._healthy_runs(stale_after),
                comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
                description=runbook(
                    stack,
                    f"No successful port sheet sync for {stale_after} minutes, and no token or "
                    "configuration error to explain it (those have alarms of their own): Google or AWS "
                    "keeps failing, no token was ever stored, or the schedule or the function stopped. "
                    "Downstream data is going stale.",
                    "read the last runs in `jada sync status`; a run saying not_configured needs "
                    f"{reauth}; no runs at all: check the SyncSchedule (EventBridge Scheduler console) "
                    "and the sync function's errors.",
                ),
            ),
            alerting.alarm(
                f"{SHEET_SYNC_ALARMS}TokenExpiring",
                metric=failing(M.TOKEN_AGE_DAYS, statistic="Maximum"),
                threshold=TOKEN_AGE_WARN_DAYS,
                comparison=OCCURRENCE,
                treat_missing_data=SPARSE,
                description=runbook(
                    stack,
                    f"The Google token is {TOKEN_AGE_WARN_DAYS}+ days old and its OAuth app is in Testing "
                    "status, whose refresh tokens die after 7 days: the sync will fail within a day.",
                    f"re-authenticate now: {reauth}; for good, publish the OAuth app (Production "
                    f"status), then {reauth} --production-app (or deploy with -c googleAppTesting=false).",
                ),
            ),
            alerting.alarm(
                f"{SHEET_SYNC_ALARMS}ConfigError",
                metric=failing(M.SYNC_CONFIG_ERROR),
                comparison=OCCURRENCE,
                treat_missing_data=SPARSE,
                description=runbook(
                    stack,
                    "The port sheet sync is misconfigured: the OAuth client is invalid (invalid_client), the "
                    "account has no access to the sheet (403), the sheet or range does not exist (404/400), "
                    "or the key column is missing from the header row.",
                    "see the error code in `jada sync status`; share the sheet with the account, fix the "
                    f"spreadsheetId / sheetRange / sheetKeyColumn context and redeploy, or {reauth} with the "
                    "right client secrets.",
                ),
            ),
            alerting.alarm(
                f"{SHEET_SYNC_ALARMS}Suspicious",
                metric=failing(M.SYNC_SUSPICIOUS),
                comparison=OCCURRENCE,
                treat_missing_data=SPARSE,
                description=runbook(
                    stack,
                    "The port sheet read back empty or with far fewer rows than are stored. Nothing was "
                    "tombstoned: the stored rows are kept until a normal read.",
                    "check the sheet (deleted rows? a renamed tab? a changed range?); once it is right "
                    "the next sync clears this alarm (within the hour).",
                ),
            ),
        ]

    @staticmethod
    def _healthy_runs(minutes: int) -> cloudwatch.MathExpression:
        """Runs that succeeded or failed in a way another alarm reports (token, configuration):
        none in `minutes` means the sync is stale for a reason nothing else emails about, so one
        incident sends one email."""
        period = Duration.minutes(minutes)
        return cloudwatch.MathExpression(
            expression="FILL(ok, 0) + FILL(token, 0) + FILL(config, 0)",
            using_metrics={
                "ok": jada_metric(M.SYNC_OK, period=period),
                "token": jada_metric(M.SYNC_TOKEN_ERROR, period=period),
                "config": jada_metric(M.SYNC_CONFIG_ERROR, period=period),
            },
            period=period,
            label="sync runs that succeeded or reported a token or configuration error",
        )

    def grant_reads(self, function: lambda_.Function) -> None:
        """Let `function` read the mirror (read-only) and tell it the table's name."""
        self.table.grant(function, *READER_TABLE_ACTIONS)
        function.add_environment("SHEET_TABLE", self.table.table_name)

    def outputs(self) -> dict[str, str]:
        return {
            "SheetTableName": self.table.table_name,
            "GoogleTokenSecretArn": self.secret.secret_arn,
            "SyncFunctionName": self.function.function_name,
            # `jada status` and `jada sync` read it: "false" means no schedule runs the sync
            "SyncEnabled": "true" if self.enabled else "false",
        }
