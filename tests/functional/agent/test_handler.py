"""The turn-batch Lambda handler: environment wiring, metrics, logs, the error contract."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from jada.errors import ConfigurationError, ModelAuthFailed, SpendLimitReached
from jada.telemetry import NAMESPACE, logger
from jada_tools.fakes.model_server import (
    ModelServer,
    reply,
    scripted,
    spend_limit_reached,
    tool_use,
    unauthorized,
)

from tests.conftest import Cloud
from tests.functional.agent.conftest import API_KEY, Harness

HANDLER = Path(__file__).parents[3] / "functions" / "turn_batch" / "handler.py"


@pytest.fixture
def handler_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("turn_batch_handler", HANDLER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def env(
    cloud: Cloud,
    model_server: ModelServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", model_server.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("TURNS_PER_BATCH", "2")


def invoke(module: ModuleType, event: dict[str, Any], context: Any) -> Any:
    """Call the handler with the Powertools logger writing to the current (captured) stdout.

    The process-wide logger keeps the stream it was created with; plain assignment, because
    setStream would flush a stream an earlier test's capture already closed."""
    stream_handler: Any = logger().registered_handler
    previous, stream_handler.stream = stream_handler.stream, sys.stdout
    try:
        return module.handler(event, context)
    finally:
        stream_handler.stream = previous


def sent_key(headers: dict[str, str]) -> str:
    return headers.get("x-api-key") or headers["authorization"].removeprefix("Bearer ")


def event_for(task_id: str) -> dict[str, Any]:
    return {"task_id": task_id, "session": 1, "execution": f"{task_id}-s1", "turns": 0}


def emf_metrics(stdout: str) -> dict[str, float]:
    """Metric name -> value from the EMF lines Powertools printed."""
    values: dict[str, float] = {}
    for line in stdout.splitlines():
        if '"_aws"' not in line:
            continue
        doc = json.loads(line)
        [directive] = doc["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == NAMESPACE
        assert directive["Dimensions"] == [["service"]]
        assert doc["service"] == "jada"
        for metric in directive["Metrics"]:
            value = doc[metric["Name"]]
            values[metric["Name"]] = sum(value) if isinstance(value, list) else value
    return values


@pytest.mark.usefixtures("env")
def test_handler_runs_a_batch_and_emits_turn_token_and_cost_metrics(
    handler_module: ModuleType, harness: Harness, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    task = harness.task()
    harness.script(scripted(reply(tool_use("do_step", {"step": "a"}))))
    output = invoke(handler_module, event_for(task.task_id), lambda_context)
    # do_step is not a built-in: the model gets an is_error result and the batch goes on
    assert output == {**event_for(task.task_id), "turns": 2, "status": "continue", "reason": None}
    captured = capsys.readouterr()
    metrics = emf_metrics(captured.out)
    assert metrics["Turns"] == 2
    assert metrics["InputTokens"] == 200
    assert metrics["OutputTokens"] == 40
    assert metrics["CostUsd"] > 0
    logs = [json.loads(line) for line in captured.out.splitlines() if '"level"' in line]
    assert logs
    assert all(entry.get("correlation_id") == task.task_id for entry in logs)
    assert API_KEY not in captured.out + captured.err
    assert sent_key(harness.server.headers[0]) == API_KEY


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    ("response", "error", "metric"),
    [
        (unauthorized, ModelAuthFailed, "ModelAuthFailed"),
        (spend_limit_reached, SpendLimitReached, "SpendLimitReached"),
    ],
)
def test_handler_emits_the_alarm_metric_then_reraises(
    handler_module: ModuleType,
    harness: Harness,
    lambda_context: Any,
    capsys: pytest.CaptureFixture[str],
    response: Any,
    error: type[Exception],
    metric: str,
) -> None:
    task = harness.task()
    harness.script(scripted(response()))
    with pytest.raises(error):
        invoke(handler_module, event_for(task.task_id), lambda_context)
    captured = capsys.readouterr()
    assert emf_metrics(captured.out)[metric] == 1
    assert API_KEY not in captured.out + captured.err


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("secret", ["sk-ant-from-secrets", json.dumps({"api_key": "sk-ant-from-secrets"})])
def test_the_api_key_comes_from_secrets_manager(
    handler_module: ModuleType,
    harness: Harness,
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    secret: str,
) -> None:
    arn = boto3.client("secretsmanager").create_secret(Name="jada/anthropic", SecretString=secret)["ARN"]
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("ANTHROPIC_SECRET_ID", arn)
    task = harness.task()
    harness.script(scripted(reply(tool_use("complete_task", {"summary": "ok"}))))
    output = invoke(handler_module, event_for(task.task_id), lambda_context)
    assert output["status"] == "completed"
    assert sent_key(harness.server.headers[0]) == "sk-ant-from-secrets"
    captured = capsys.readouterr()
    assert "sk-ant-from-secrets" not in captured.out + captured.err


@pytest.mark.usefixtures("env")
def test_without_any_key_the_handler_fails_with_a_configuration_error(
    handler_module: ModuleType, harness: Harness, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.delenv("ANTHROPIC_BASE_URL")
    task = harness.task()
    with pytest.raises(ConfigurationError, match="ANTHROPIC_SECRET_ID"):
        invoke(handler_module, event_for(task.task_id), lambda_context)
    assert harness.server.requests == []
