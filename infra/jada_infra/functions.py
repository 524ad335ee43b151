"""A Lambda function from functions/<name>/handler.py, each with its own role and log group, and
the environment variables of exactly the settings its code reads."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct
from jada.settings import Settings
from jada.telemetry import NAMESPACE, SERVICE

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
    tracing: lambda_.Tracing = lambda_.Tracing.ACTIVE,
) -> lambda_.Function:
    """`with_dependencies` adds the third-party layer (anthropic, Google clients); the poll
    function goes without it to keep its cold start small. `tracing` PASS_THROUGH traces only
    requests a caller sampled (the schedule samples none)."""
    log_group = logs.LogGroup(
        scope,
        f"{cid}Logs",
        retention=logs.RetentionDays.ONE_MONTH,
        removal_policy=RemovalPolicy.DESTROY,
    )
    function_layers = [layers.powertools, layers.jada]
    if with_dependencies:
        function_layers.append(layers.dependencies)
    return lambda_.Function(
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
    )
