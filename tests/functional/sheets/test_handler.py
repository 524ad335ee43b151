"""The sync Lambda handler: event -> run -> EMF metrics and structured logs (never a token)."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jada.sheets.token import WIRE_LOGGERS
from jada.telemetry import DIMENSIONS, NAMESPACE, M

from tests.functional.sheets.conftest import CLIENT_SECRET, NOW, REFRESH_TOKEN, SheetWorld, token_json

HANDLER = Path(__file__).resolve().parents[3] / "functions" / "sheet_sync" / "handler.py"


def load_handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sheet_sync_handler", HANDLER)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def handler() -> ModuleType:
    return load_handler()


def emf_metrics(stdout: str) -> list[dict[str, Any]]:
    """EMF documents printed by Powertools Metrics: namespace, dimensions and metric values."""
    found = []
    for line in stdout.splitlines():
        if '"_aws"' not in line:
            continue
        doc = json.loads(line)
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                found.append(
                    {
                        "namespace": directive["Namespace"],
                        "name": metric["Name"],
                        "dimensions": {d: doc[d] for dims in directive["Dimensions"] for d in dims},
                        "value": _single(doc[metric["Name"]]),
                    }
                )
    return found


def _single(value: Any) -> Any:
    """Powertools writes a metric's values as a list when it was added more than once."""
    if isinstance(value, list):
        assert len(value) == 1, value
        return value[0]
    return value


def run(handler: ModuleType, event: dict[str, Any], lambda_context: Any, capsys: Any) -> tuple[Any, dict]:
    result = handler.handler(event, lambda_context)
    metrics = {m["name"]: m for m in emf_metrics(capsys.readouterr().out)}
    return result, metrics


def test_scheduled_sync_returns_counts_and_emits_metrics(
    world: SheetWorld, handler: ModuleType, lambda_context: Any, capsys: Any
) -> None:
    result, metrics = run(handler, {"scheduled_time": "2026-05-12T22:30:00Z"}, lambda_context, capsys)

    assert {k: result[k] for k in ("outcome", "rows", "written", "tombstoned", "quarantined")} == {
        "outcome": "ok",
        "rows": 12,
        "written": 12,
        "tombstoned": 0,
        "quarantined": 0,
    }
    assert result["at"] == "2026-05-12T22:30:00Z"  # "now" is the schedule's time
    # only what says something: the outcome, the rows written; a 2-day-old token's age is no news
    assert {name: m["value"] for name, m in metrics.items()} == {M.SYNC_OK: 1, M.ROWS_WRITTEN: 12}
    for metric in metrics.values():
        assert metric["namespace"] == NAMESPACE
        assert metric["dimensions"] == DIMENSIONS


def test_token_error_emits_its_metric_and_logs_the_code(
    world: SheetWorld, handler: ModuleType, lambda_context: Any, capsys: Any, log_stream: io.StringIO
) -> None:
    world.google.revoke()
    result, metrics = run(handler, {}, lambda_context, capsys)

    assert result["outcome"] == "token_error"
    assert metrics[M.SYNC_TOKEN_ERROR]["value"] == 1
    assert M.SYNC_OK not in metrics  # a zero is not sent: the error alarm's recovery is missing data
    [line] = [json.loads(x) for x in log_stream.getvalue().splitlines() if "sheet sync failed" in x]
    assert (line["error_code"], line["error_description"]) == (
        "invalid_grant",
        "Token has been expired or revoked.",
    )


def test_production_app_emits_no_token_age(
    world: SheetWorld, handler: ModuleType, lambda_context: Any, capsys: Any
) -> None:
    world.put_token(token_json(app_status="production"))
    _, metrics = run(handler, {}, lambda_context, capsys)
    assert M.SYNC_OK in metrics
    assert M.TOKEN_AGE_DAYS not in metrics


def test_not_configured_is_reported(
    world: SheetWorld, handler: ModuleType, lambda_context: Any, capsys: Any
) -> None:
    world.put_token("{}")
    result, metrics = run(handler, {}, lambda_context, capsys)
    assert result["outcome"] == "not_configured"
    assert metrics[M.SYNC_NOT_CONFIGURED]["value"] == 1


@pytest.mark.parametrize("mode", ["ok", "invalid_grant", "invalid_client", "unavailable", "forbidden"])
def test_tokens_never_reach_logs_or_output(
    mode: str,
    world: SheetWorld,
    handler: ModuleType,
    lambda_context: Any,
    capsys: Any,
    caplog: pytest.LogCaptureFixture,
    log_stream: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)  # the libraries' own debug logs too
    for name in WIRE_LOGGERS:  # start from the libraries' defaults; restored after the test
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    if mode == "forbidden":
        world.google.sheets_mode = mode
    else:
        world.google.token_mode = mode
    result = handler.handler({"scheduled_time": (NOW + timedelta(minutes=1)).isoformat()}, lambda_context)

    captured = capsys.readouterr()
    seen = "\n".join([captured.out, captured.err, log_stream.getvalue(), caplog.text, json.dumps(result)])
    assert "sheet sync" in seen  # the logs were captured at all
    for secret in (REFRESH_TOKEN, CLIENT_SECRET, "ya29."):
        assert secret not in seen
