"""The thin handlers, called as Lambda calls them: event in, EMF metrics out."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jada.lifecycle import TaskStatus

from tests.conftest import Cloud

ROOT = Path(__file__).resolve().parents[3]


def load(folder: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"handler_{folder}", ROOT / "functions" / folder / "handler.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def emitted(out: str) -> dict[str, float]:
    """Metric name -> value from the EMF lines on stdout, checking namespace and dimension."""
    found: dict[str, float] = {}
    for line in out.splitlines():
        if '"_aws"' not in line:
            continue
        doc = json.loads(line)
        [directive] = doc["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Jada"
        assert directive["Dimensions"] == [["service"]]
        assert doc["service"] == "jada"
        for metric in directive["Metrics"]:
            value = doc[metric["Name"]]
            found[metric["Name"]] = sum(value) if isinstance(value, list) else value
    return found


@pytest.fixture
def poll_env(cloud: Cloud, state_machine: str, monkeypatch: pytest.MonkeyPatch) -> Cloud:
    monkeypatch.setenv("STATE_MACHINE_ARN", state_machine)
    monkeypatch.setenv("SESSIONS_PER_DAY", "1")
    return cloud


def test_poll_handler_takes_the_day_from_the_scheduled_time(
    poll_env: Cloud, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    store = poll_env.tasks()
    from datetime import UTC, datetime

    for i in range(2):
        store.create(prompt=f"task {i}", now=datetime(2026, 5, 12, 23, 0, i, tzinfo=UTC))
    handler = load("poll").handler
    capsys.readouterr()

    first = handler({"scheduled_time": "2026-05-12T23:59:00Z"}, lambda_context)
    assert len(first["started"]) == 1
    assert emitted(capsys.readouterr().out) == {"PollHeartbeat": 1, "SessionsStarted": 1, "QuotaExhausted": 1}

    second = handler({"scheduled_time": "2026-05-12T23:59:59Z"}, lambda_context)
    assert second["started"] == []
    assert second["stopped_by"] == "quota"
    assert emitted(capsys.readouterr().out)["QuotaExhausted"] == 1

    third = handler({"scheduled_time": "2026-05-13T00:00:00Z"}, lambda_context)
    assert len(third["started"]) == 1


def test_session_end_handler_emits_task_metrics(
    cloud: Cloud, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.functional.orchestration.test_session_end import running_task

    task = running_task(cloud)
    handler = load("session_end").handler
    capsys.readouterr()
    event = {"task_id": task.task_id, "session": 1, "execution": f"{task.task_id}-s1", "turns": 4,
             "status": "completed", "reason": None}  # fmt: skip
    output = handler(event, lambda_context)
    assert output["status"] == "done"
    assert emitted(capsys.readouterr().out) == {"SessionCompleted": 1, "TaskDone": 1}
    assert cloud.tasks().get(task.task_id).status is TaskStatus.DONE


def test_session_end_handler_fails_loudly_on_bad_input(cloud: Cloud, lambda_context: Any) -> None:
    with pytest.raises(ValueError, match="task_id"):
        load("session_end").handler({"status": "completed"}, lambda_context)
