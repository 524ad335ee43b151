"""`jada local run` from the command line: it says which model it uses before the run, warns when an
API key will be billed, and names the scenario's unknown keys; the run still goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jada_tools.cli.main import app
from typer.testing import CliRunner

from tests.functional.sheets.conftest import closed_port_url

API_KEY = "sk-ant-e2e-SECRET-91c3"


def test_local_run_names_the_paid_model_and_the_unknown_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an API key and a base URL in the environment (nobody listens there: no task calls it),
    # and a scenario with a typo that would otherwise queue nothing
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    base_url = closed_port_url()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", base_url)
    for key in ("GOOGLE_OAUTH_TOKEN_URI", "SHEETS_API_ENDPOINT"):
        monkeypatch.delenv(key, raising=False)
    scenario = tmp_path / "typo.json"
    task = {"at": "2026-05-12T22:00:00Z", "title": "crew page", "prompt": "Update the crew page."}
    scenario.write_text(
        json.dumps({
            "start": "2026-05-12T22:00:00Z", "end": "2026-05-12T22:01:00Z",
            "settings": {"model": "claude-haiku-5-5"}, "task": [task],
        })
    )  # fmt: skip
    # When it runs
    result = CliRunner().invoke(app, ["local", "run", str(scenario), "--report", str(tmp_path / "r.json")])
    # Then it exits 0, says at the start which model it uses and that the key is billed
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == (
        f"Model: Anthropic API at {base_url}, model claude-haiku-5-5 — this uses your paid API key"
    )
    assert "warning: ANTHROPIC_API_KEY is set" in result.stderr
    assert "warning: scenario key 'task' is not known (did you mean 'tasks'?)" in result.stderr
    assert API_KEY not in result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["tasks"] == []
    assert report["model"] == "Anthropic API (from the environment)"
