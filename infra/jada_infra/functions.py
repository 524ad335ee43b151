"""A Lambda function from functions/<name>/handler.py, each with its own role and log group, and
the environment variables of exactly the settings its code reads; where its failed asynchronous
invocations go."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from jada.settings import Settings
from jada.telemetry import NAMESPACE, SERVICE

from jada_infra.checkov import NO_CMK, skip_checkov
from jada_infra.layers import ARCHITECTURE, ASSET_EXCLUDES, ROOT, RUNTIME, SharedLayers


def python_function(
    scope: Construct,
    cid: str,
    *,
    folder: str,
    layers: SharedLayers,
    settings: Settings,
    environment: dict[str, str],
    with_dependencies: bool,
    timeout: Duration | None = None,
    memory_size: int = 256,
    description: str = "",
    reserved_concurrency: int | None = None,
    tracing: lambda_.Tracing = lambda_.Tracing.ACTIVE,
) -> lambda_.Function:
    """`with_dependencies` adds the third-party layer (anthropic, Google clients); the poll
    function goes without it to keep its cold start small. `reserved_concurrency` caps how many
    invocations run at once (1: never two overlapping runs). `tracing` PASS_THROUGH traces only
    requests a caller sampled (the schedule samples none)."""
    log_group = logs.LogGroup(
        scope,
        f"{cid}Logs",
        retention=logs.RetentionDays.ONE_MONTH,
        removal_policy=RemovalPolicy.DESTROY,
    )
    skip_checkov(log_group, "CKV_AWS_158", NO_CMK)
    function_layers = [layers.powertools, layers.jada]
    if with_dependencies:
        function_layers.append(layers.dependencies)
    function = lambda_.Function(
        scope,
        cid,
        runtime=RUNTIME,
        architecture=ARCHITECTURE,
        handler="handler.handler",
        code=lambda_.Code.from_asset(str(ROOT / "functions" / folder), exclude=ASSET_EXCLUDES),
        layers=function_layers,
        timeout=timeout or Duration.seconds(60),
        memory_size=memory_size,
        tracing=tracing,
        log_group=log_group,
        description=description,
        environment={
            "POWERTOOLS_SERVICE_NAME": SERVICE,
            "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
            **settings.environment(folder),
            **environment,
        },
        reserved_concurrent_executions=reserved_concurrency,
    )
    skip_checkov(
        function,
        "CKV_AWS_117",
        "No VPC: the functions reach only AWS APIs and public HTTPS endpoints (Anthropic, Google); "
        "a VPC would need a NAT gateway (~$32/month) and adds no control (decision log, State).",
    )
    skip_checkov(
        function,
        "CKV_AWS_173",
        "The environment holds resource names, ARNs and settings, never a secret (keys and tokens live "
        "in Secrets Manager); Lambda encrypts it at rest with an AWS managed key.",
    )
    return function


def dead_letters_for_async(
    function: lambda_.Function, queue: sqs.IQueue, *, retry_attempts: int, max_event_age: Duration
) -> None:
    """An asynchronous invocation (a schedule, an EventBridge rule) that still fails after
    `retry_attempts` retries, or waits longer than `max_event_age` (throttled), lands in `queue`
    with its event instead of being dropped."""
    cfn = function.node.default_child
    assert isinstance(cfn, lambda_.CfnFunction)
    cfn.dead_letter_config = lambda_.CfnFunction.DeadLetterConfigProperty(target_arn=queue.queue_arn)
    queue.grant(function, "sqs:SendMessage")  # what Lambda needs to dead-letter an event
    function.configure_async_invoke(retry_attempts=retry_attempts, max_event_age=max_event_age)
