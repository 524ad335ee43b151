from __future__ import annotations

from pathlib import Path

from jada_tools.cli.main import app
from typer.testing import CliRunner


def test_a_bad_scenario_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    window = '"start": "2026-05-12T22:00:00Z", "end": "2026-05-13T00:00:00Z"'
    path.write_text("{" + window + ', "settings": {"turns_per_session": 0}}')
    result = CliRunner().invoke(app, ["local", "run", str(path)])
    assert result.exit_code == 2
    assert "settings.turns_per_session" in result.output


def test_a_missing_scenario_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["local", "run", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "nope.json: cannot read the scenario file" in result.output
