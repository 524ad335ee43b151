"""End-to-end runs of the local cloud: the synthesized app, offline, on a simulated clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from jada_tools.local.cloud import RunResult, run
from jada_tools.local.scenario import parse_scenario

TOKEN = {"client_id": "id.apps.googleusercontent.com", "client_secret": "s", "refresh_token": "1//r"}


def sheet(**extra: Any) -> dict[str, Any]:
    return {"spreadsheet_id": "port-sheet", "range": "Ports!A1:F", "token": TOKEN, **extra}


def task(at: str, title: str, prompt: str | None = None) -> dict[str, Any]:
    return {"at": at, "title": title, "prompt": prompt or f"Do the {title}."}


@pytest.fixture
def run_scenario(monkeypatch: pytest.MonkeyPatch) -> Callable[..., RunResult]:
    """Run a scenario dict offline (no real model or Google endpoints in the environment)."""
    for key in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GOOGLE_OAUTH_TOKEN_URI", "SHEETS_API_ENDPOINT"):
        monkeypatch.delenv(key, raising=False)

    def _run(data: dict[str, Any], **kwargs: Any) -> RunResult:
        return run(parse_scenario(data), **kwargs)

    return _run


def by_title(result: RunResult, title: str) -> dict[str, Any]:
    return next(t for t in result.report["tasks"] if t["title"] == title)
