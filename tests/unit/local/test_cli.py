from __future__ import annotations

import json
from pathlib import Path

from jada_tools.cli.main import app
from typer.testing import CliRunner

WINDOW = {"start": "2026-05-12T22:00:00Z", "end": "2026-05-13T00:00:00Z"}


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(data))
    return path


def test_a_bad_scenario_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, {**WINDOW, "settings": {"turns_per_session": 0}})
    result = CliRunner().invoke(app, ["local", "run", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {path}: invalid scenario: settings.turns_per_session")


def test_a_missing_scenario_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["local", "run", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert result.output.startswith("error: ")
    assert "nope.json: cannot read the scenario file" in result.output


def test_a_whitespace_prompt_is_refused_before_anything_runs(tmp_path: Path) -> None:
    task = {"at": WINDOW["start"], "title": "t", "prompt": "  "}
    path = write(tmp_path, {**WINDOW, "tasks": [task], "task": []})
    result = CliRunner().invoke(app, ["local", "run", str(path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: {path}: invalid scenario: tasks.0: the prompt is empty"
    ]
    assert "Traceback" not in result.output
