"""Shared fixtures: moto-backed AWS, jada's tables and bucket, a Lambda context, the synthesized app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from jada import aws as jada_aws
from jada.stores import schema
from jada.stores.checkpoints import CheckpointStore
from jada.stores.counters import CounterStore
from jada.stores.tasks import TaskStore
from jada_tools.local.emulator import LAMBDA_IN_PROCESS
from jada_tools.local.moto_lambda import LambdaContext
from jada_tools.local.synth import LOCAL_CONTEXT, synthesize
from moto import mock_aws

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "jada")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Jada")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")

NOW = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test ever reaches real AWS: fake credentials and a fixed region."""
    for key in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_SESSION_TOKEN",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    jada_aws.reset()
    yield
    jada_aws.reset()


@dataclass
class Cloud:
    """Names of the tables and bucket provisioned in moto for a test."""

    tasks_table: str = "jada-tasks"
    counters_table: str = "jada-counters"
    checkpoints_table: str = "jada-checkpoints"
    checkpoint_bucket: str = "jada-checkpoints"

    def env(self) -> dict[str, str]:
        return {
            "TASKS_TABLE": self.tasks_table,
            "COUNTERS_TABLE": self.counters_table,
            "CHECKPOINTS_TABLE": self.checkpoints_table,
            "CHECKPOINT_BUCKET": self.checkpoint_bucket,
        }

    def tasks(self) -> TaskStore:
        return TaskStore(self.tasks_table)

    def counters(self) -> CounterStore:
        return CounterStore(self.counters_table)

    def checkpoints(self) -> CheckpointStore:
        return CheckpointStore(self.checkpoints_table, self.checkpoint_bucket)


@pytest.fixture
def moto_aws() -> Iterator[None]:
    """moto as the local cloud runs it: Lambda functions without Docker (run by InProcessLambda)."""
    with mock_aws(config=LAMBDA_IN_PROCESS):
        yield


@pytest.fixture
def cloud(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Cloud:
    """jada's state tables and checkpoint bucket in moto, their names in the environment."""
    c = Cloud()
    ddb = boto3.client("dynamodb")
    for name, spec in (
        (c.tasks_table, schema.TASKS),
        (c.counters_table, schema.COUNTERS),
        (c.checkpoints_table, schema.CHECKPOINTS),
    ):
        ddb.create_table(**spec.create_kwargs(name))
    boto3.client("s3").create_bucket(Bucket=c.checkpoint_bucket)
    for key, value in c.env().items():
        monkeypatch.setenv(key, value)
    return c


@pytest.fixture
def lambda_context() -> LambdaContext:
    """The context the local cloud's Lambda runtime passes (a minute left, a fresh request id)."""
    return LambdaContext.create("test-function", timeout_s=60, memory_mb=256)


@pytest.fixture(scope="session")
def app_template() -> dict[str, Any]:
    """The app synthesized once, as the local cloud does (asset paths kept), with default settings."""
    return synthesize({**LOCAL_CONTEXT, "alertEmail": "ops@example.com"}).template
