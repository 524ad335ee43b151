"""Orchestration: the poll function and its schedule, the session state machine and its functions,
the Anthropic API key secret, and their alarms."""

from __future__ import annotations

import json

from aws_cdk import Acknowledgment, CfnElement, Duration, RemovalPolicy, SecretValue, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct
from jada.errors import RETRYABLE_ERRORS
from jada.lifecycle import CONTINUE, SessionOutcome
from jada.telemetry import M

from jada_infra.alerting import Alerting, jada_metric
from jada_infra.checkov import NO_CMK, skip_checkov
from jada_infra.config import StackConfig, rate_duration
from jada_infra.functions import dead_letters_for_async, python_function
from jada_infra.layers import SharedLayers
from jada_infra.schedules import dead_letter_queue, lambda_schedule
from jada_infra.state import State

#: Lambda service errors worth retrying (besides the defaults CDK adds for LambdaInvoke)
LAMBDA_THROTTLED = ["Lambda.TooManyRequestsException"]
#: how Step Functions reports a function that timed out or ran out of memory: a turn batch that
#: died is run again (a stored reply and stored tool results make every step safe to repeat)
LAMBDA_DIED = ["Lambda.Unknown"]
COMPARE_LT = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD


class Orchestration(Construct):
    def __init__(
        self, scope: Construct, cid: str, *, config: StackConfig, state: State, alerting: Alerting,
        layers: SharedLayers,
    ) -> None:  # fmt: skip
        super().__init__(scope, cid)
        self.config = config
        settings = config.settings
        common = state.environment()

        # The operator stores the key with `aws secretsmanager put-secret-value` (README).
        self.anthropic_secret = secretsmanager.Secret(
            self,
            "AnthropicApiKey",
            description="Anthropic API key for jada's agent sessions (created empty; put the key in it)",
            # no key in the template: an empty placeholder the turn batch reports as "holds no key"
            secret_string_value=SecretValue.unsafe_plain_text('{"api_key": ""}'),
            removal_policy=RemovalPolicy.RETAIN,
        )
        # CloudFormation takes SecretString or GenerateSecretString, not both (CDK adds the latter)
        secret_resource = self.anthropic_secret.node.default_child
        assert isinstance(secret_resource, secretsmanager.CfnSecret)
        secret_resource.add_property_deletion_override("GenerateSecretString")
        skip_checkov(self.anthropic_secret, "CKV_AWS_149", NO_CMK)

        self.turn_batch = python_function(
            self, "TurnBatch", folder="turn_batch", layers=layers, settings=settings,
            with_dependencies=True, timeout=Duration.minutes(5), memory_size=512,
            description="jada: one batch of agent turns of a session",
            environment={**common, "ANTHROPIC_SECRET_ID": self.anthropic_secret.secret_arn},
        )  # fmt: skip
        state.grant_task_access(self.turn_batch)
        state.grant_checkpoints(self.turn_batch)
        state.grant_spend_recording(self.turn_batch)
        self.anthropic_secret.grant_read(self.turn_batch)
        skip_checkov(
            self.turn_batch,
            "CKV_AWS_115",
            "Its concurrency is the sessions running, held to max_concurrent_sessions by the slot counter; "
            "a reservation would be taken from the account's pool even while no session runs.",
        )
        skip_checkov(
            self.turn_batch,
            "CKV_AWS_116",
            "Invoked only synchronously, by the state machine, whose Retry and Catch handle its failures.",
        )

        self.session_end = python_function(
            self, "SessionEnd", folder="session_end", layers=layers, settings=settings,
            with_dependencies=False,
            description="jada: close a session, move its task on, free its slot",
            environment={**common, "ALERT_TOPIC_ARN": alerting.topic.topic_arn},
        )  # fmt: skip
        state.grant_task_access(self.session_end)
        state.counters.grant_read_write_data(self.session_end)
        state.grant_history_settlement(self.session_end)
        alerting.topic.grant_publish(self.session_end)
        skip_checkov(
            self.session_end,
            "CKV_AWS_115",
            "Runs once per session end (sessions are capped by max_concurrent_sessions); throttling it "
            "would only delay freeing slots.",
        )

        self.state_machine = self._state_machine(settings.session_timeout_seconds)

        self.poll = python_function(
            self, "Poll", folder="poll", layers=layers, settings=settings, with_dependencies=False,
            timeout=Duration.seconds(30), reserved_concurrency=1, tracing=lambda_.Tracing.PASS_THROUGH,
            description="jada: start sessions for runnable tasks within the quota and the cap",
            environment={**common, "STATE_MACHINE_ARN": self.state_machine.state_machine_arn},
        )  # fmt: skip
        state.grant_task_access(self.poll)
        state.counters.grant_read_write_data(self.poll)
        self.state_machine.grant_start_execution(self.poll)
        # a StartExecution whose answer was lost: the poll asks whether the execution exists
        self.state_machine.grant_execution(self.poll, "states:DescribeExecution")

        self.dead_letters = dead_letter_queue(self, "ScheduleDeadLetters", used_by="the poll schedule")
        # asynchronous invocations that fail: a poll is not retried (the next one, a minute later, is
        # the retry); a session end from the ExecutionEnded rule is (it is idempotent)
        dead_letters_for_async(
            self.poll, self.dead_letters, retry_attempts=0, max_event_age=Duration.minutes(5)
        )
        dead_letters_for_async(
            self.session_end, self.dead_letters, retry_attempts=2, max_event_age=Duration.hours(1)
        )
        self.schedule = lambda_schedule(
            self,
            "PollSchedule",
            function=self.poll,
            rate=settings.poll_rate,
            description="jada: poll the task queue",
            dead_letters=self.dead_letters,
            role=iam.Role(
                self, "PollScheduleRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com")
            ),
            max_event_age=Duration.minutes(5),
        )
        self._end_stray_executions()
        self._alarms(alerting)
        self._acknowledge(state)

    # --- the session state machine ------------------------------------------------------------
    def _state_machine(self, timeout_seconds: int) -> sfn.StateMachine:
        run_batch = tasks.LambdaInvoke(
            self,
            "Run turn batch",
            lambda_function=self.turn_batch,
            output_path="$.Payload",
            comment="Model turns until the batch size, the time left, the turn limit or the task's end",
        )
        run_batch.add_retry(
            errors=list(RETRYABLE_ERRORS),
            interval=Duration.seconds(5),
            backoff_rate=2,
            max_attempts=6,
            max_delay=Duration.minutes(5),
            jitter_strategy=sfn.JitterType.FULL,
        )
        run_batch.add_retry(
            errors=LAMBDA_THROTTLED, interval=Duration.seconds(2), backoff_rate=2, max_attempts=6
        )
        run_batch.add_retry(errors=LAMBDA_DIED, interval=Duration.seconds(5), backoff_rate=2, max_attempts=2)

        failure_input = sfn.TaskInput.from_object(
            {
                "task_id": sfn.JsonPath.string_at("$.task_id"),
                "session": sfn.JsonPath.number_at("$.session"),
                "execution": sfn.JsonPath.string_at("$.execution"),
                "turns": sfn.JsonPath.number_at("$.turns"),
                "status": SessionOutcome.FAILED.value,
                "error": sfn.JsonPath.object_at("$.error"),
            }
        )
        record_failure = tasks.LambdaInvoke(
            self,
            "Record session failure",
            lambda_function=self.session_end,
            payload=failure_input,
            result_path="$.recorded",
            comment="The batch raised an error that is not retried (or retries ran out)",
        )
        end_session = tasks.LambdaInvoke(
            self, "End session", lambda_function=self.session_end, output_path="$.Payload",
            comment="Close the session record, set the task's status, free the concurrency slot",
        )  # fmt: skip
        for step in (record_failure, end_session):
            step.add_retry(
                errors=["States.TaskFailed"], interval=Duration.seconds(2), backoff_rate=2, max_attempts=3
            )
        failed = sfn.Fail(
            self, "Session failed", error_path="$.error.Error", cause_path="$.error.Cause",
            comment="See `jada tasks show <task-id>` for the recorded reason",
        )  # fmt: skip
        run_batch.add_catch(record_failure.next(failed), errors=["States.ALL"], result_path="$.error")
        loop = (
            sfn.Choice(self, "Batch status?")
            .when(sfn.Condition.string_equals("$.status", CONTINUE), run_batch)
            .otherwise(end_session.next(sfn.Succeed(self, "Session ended")))
        )
        log_group = logs.LogGroup(
            self,
            "SessionLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        skip_checkov(log_group, "CKV_AWS_158", NO_CMK)
        return sfn.StateMachine(
            self,
            "SessionStateMachine",
            comment="jada: one agent session, a loop of turn batches",
            definition_body=sfn.DefinitionBody.from_chainable(run_batch.next(loop)),
            timeout=Duration.seconds(timeout_seconds),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        )

    def _end_stray_executions(self) -> None:
        """An execution that times out or is stopped never reaches its end step: this rule hands it
        to the session-end function, which records the failure and frees the slot (a no-op for
        executions that already recorded their end)."""
        events.Rule(
            self,
            "ExecutionEnded",
            description="jada: close sessions whose execution failed, timed out or was stopped",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "stateMachineArn": [self.state_machine.state_machine_arn],
                    "status": ["FAILED", "TIMED_OUT", "ABORTED"],
                },
            ),
            targets=[
                events_targets.LambdaFunction(
                    self.session_end,
                    retry_attempts=4,
                    max_event_age=Duration.hours(1),
                    dead_letter_queue=self.dead_letters,
                )
            ],
        )

    # --- alarms -------------------------------------------------------------------------------
    def _alarms(self, alerting: Alerting) -> None:
        """One alarm per incident. A failed task emails by itself (session end: its title, reason
        and the commands), so failed executions, timeouts and turn-batch errors raise no alarm of
        their own; what could stop that email (session end failing, EventBridge unable to invoke
        it) and what fails every session (the API key, the spend limit) does."""
        alerting.alarm(
            "ModelAuthFailed",
            metric=jada_metric(M.MODEL_AUTH_FAILED),
            description="The Anthropic API rejected jada's API key (401/403); every session fails until it "
            "is fixed. Put a valid key in the AnthropicApiKey secret (stack output AnthropicSecretArn: "
            "`aws secretsmanager put-secret-value`), then `jada tasks retry <id>` for the failed tasks.",
        )
        alerting.alarm(
            "SpendLimitReached",
            metric=jada_metric(M.SPEND_LIMIT_REACHED),
            description="The Anthropic organization's spend limit is reached; the API refuses requests until "
            "the next month or a higher limit. Raise the limit in the Anthropic console (Billing), then "
            "`jada tasks retry <id>` for the failed tasks.",
        )
        rate = rate_duration(self.config.settings.poll_rate).to_minutes()
        period = Duration.minutes(max(5, 2 * rate))
        alerting.alarm(
            "PollHeartbeatMissing",
            metric=jada_metric(M.POLL_HEARTBEAT, period=period),
            threshold=1,
            evaluation_periods=2,
            comparison=COMPARE_LT,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            description="The poll has not completed a run (no PollHeartbeat): it is not invoked, or it "
            "fails. No new sessions start. Check the PollSchedule in the EventBridge Scheduler console "
            "(enabled?), the Poll function's errors and logs in the Lambda console, and the schedule's "
            "dead-letter queue.",
        )
        alerting.alarm(
            "SessionEndErrors",
            metric=self.session_end.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            description="The SessionEnd Lambda function raised errors: sessions may not be closed, their "
            "tasks left 'running' and their failed-task or blocked-task emails not sent. Open its logs "
            "(Lambda console, function of stack Jada named *SessionEnd*, Monitor > Logs); "
            "`jada tasks list --status running` shows sessions left open.",
        )
        alerting.alarm(
            "ScheduleDeadLetters",
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            description="EventBridge could not invoke the Poll function (schedule) or the SessionEnd "
            "function (ended executions), or an asynchronous invocation of either failed: messages in the "
            "ScheduleDeadLetters queue, SQS console. Read a "
            "message's error attributes, fix the function or its permissions, then purge the queue; "
            "`jada tasks list --status running` shows sessions left open.",
        )

    def _acknowledge(self, state: State) -> None:
        """cdk-nag findings on this construct's roles, each with the reason it is acceptable.
        (cdk-nag 3 names a finding with its resource, e.g. `AwsSolutions-IAM5[Resource::<Id.Arn>/*]`.)"""
        stack = Stack.of(self)

        def arn(construct: Construct) -> str:
            resource = construct.node.default_child
            assert isinstance(resource, CfnElement)
            return "<" + str(stack.resolve(stack.get_logical_id(resource))) + ".Arn>"

        managed = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        findings = {
            f"AwsSolutions-IAM4[{managed}]": "Each function's role uses AWSLambdaBasicExecutionRole only to "
            "write its own log streams.",
            "AwsSolutions-IAM5[Resource::*]": "X-Ray trace writes and the state machine's log delivery have "
            "no resource-level permissions; AWS requires '*' for them.",
            f"AwsSolutions-IAM5[Resource::{arn(state.tasks)}/index/*]": "The poll and the CLI query the "
            "tasks table's own indexes (by_status, runnable), no other table.",
            f"AwsSolutions-IAM5[Resource::{arn(state.checkpoint_bucket)}/*]": "The turn batch reads and "
            "writes oversized checkpoints as objects of this stack's checkpoint bucket only.",
            f"AwsSolutions-IAM5[Resource::{arn(state.checkpoint_bucket)}/checkpoints/*]": "The session end "
            "deletes a finished task's checkpoint objects (delete markers: the data expires later) in "
            "this stack's checkpoint bucket only.",
        }
        for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*"):
            findings[f"AwsSolutions-IAM5[Action::{action}]"] = (
                "CDK's read/write grant on the checkpoint bucket (this stack's bucket only)."
            )
        machine = self.state_machine.node.default_child
        assert isinstance(machine, CfnElement)
        select = {
            "Fn::Select": [6, {"Fn::Split": [":", {"Ref": stack.resolve(stack.get_logical_id(machine))}]}]
        }
        machine_name = json.dumps(select, separators=(",", ":"))  # how cdk-nag prints the name's token
        executions = f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{machine_name}:*"
        findings[f"AwsSolutions-IAM5[Resource::{executions}]"] = (
            "The poll asks whether an execution of this stack's state machine exists "
            "(DescribeExecution after a StartExecution whose answer was lost); no other state machine."
        )
        for fn in (self.turn_batch, self.session_end, self.poll):
            findings[f"AwsSolutions-IAM5[Resource::{arn(fn)}:*]"] = (
                "The state machine and the schedule invoke any version of this stack's own function "
                "(CDK's invoke grant)."
            )
        findings.update(
            {
                "AwsSolutions-SMG4": "The Anthropic API key is issued by Anthropic; no Lambda here can "
                "rotate it. The operator rotates it in the Anthropic console and updates the secret.",
                "AwsSolutions-L1": "The functions pin Python 3.13, the runtime the Powertools layer and the "
                "dependency layer are built for; move them together.",
            }
        )
        for rule, reason in findings.items():
            Validations.of(self).acknowledge(Acknowledgment(id=rule, reason=reason))

    def outputs(self) -> dict[str, str]:
        return {
            "StateMachineArn": self.state_machine.state_machine_arn,
            "PollFunctionName": self.poll.function_name,
            "TurnBatchFunctionName": self.turn_batch.function_name,
            "SessionEndFunctionName": self.session_end.function_name,
            "AnthropicSecretArn": self.anthropic_secret.secret_arn,
            "ScheduleDeadLetterQueueUrl": self.dead_letters.queue_url,
        }
