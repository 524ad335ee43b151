"""An EventBridge Scheduler schedule that invokes a Lambda function, with its dead-letter queue."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from jada_infra.checkov import skip_checkov
from jada_infra.config import rate_duration

#: explicit: the Scheduler's default is 185 attempts over 24 hours
RETRY_ATTEMPTS = 2


def dead_letter_queue(scope: Construct, cid: str, *, used_by: str) -> sqs.Queue:
    """Encrypted, TLS-only, 14 days: where a schedule's failed invocations land."""
    queue = sqs.Queue(
        scope,
        cid,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    Validations.of(queue).acknowledge(
        Acknowledgment(
            id="AwsSolutions-SQS3", reason=f"This queue is itself the dead-letter queue of {used_by}."
        )
    )
    skip_checkov(
        queue,
        "CKV_AWS_27",
        "Encrypted with SSE-SQS (SqsManagedSseEnabled), which checkov does not recognize; SSE-KMS would "
        "need a customer-managed key whose policy lets EventBridge write here ($1/month, no gain).",
    )
    return queue


def lambda_schedule(
    scope: Construct,
    cid: str,
    *,
    function: lambda_.IFunction,
    rate: str,
    description: str,
    dead_letters: sqs.IQueue,
    role: iam.IRole,
    max_event_age: Duration,
) -> scheduler.Schedule:
    """Invoke `function` at `rate` ("1 minute") with `{"scheduled_time": <the scheduled time>}`,
    so handlers take "now" from the event, not the wall clock."""
    return scheduler.Schedule(
        scope,
        cid,
        description=description,
        schedule=scheduler.ScheduleExpression.rate(rate_duration(rate)),
        target=targets.LambdaInvoke(
            function,
            input=scheduler.ScheduleTargetInput.from_object(
                {"scheduled_time": scheduler.ContextAttribute.scheduled_time}
            ),
            retry_attempts=RETRY_ATTEMPTS,
            max_event_age=max_event_age,
            dead_letter_queue=dead_letters,
            role=role,
        ),
    )
