"""`jada local serve`: bad input exits 2 before anything starts; what the live log and the summary
say of emails and durations."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jada_tools.cli.main import app
from jada_tools.local.serve import Summary, email_preview
from typer.testing import CliRunner

ALARM_BODY = """You are receiving this email because your Amazon CloudWatch Alarm "Jada-SheetSyncStale" in the US East (N. Virginia) region has entered the ALARM state.

Alarm Details:
- Name:                       Jada-SheetSyncStale
- Description:                No successful port sheet sync for 90 minutes: check the token.
- State Change:               OK -> ALARM
- Reason for State Change:    Threshold Crossed: 1 out of the last 1 datapoints [0] were less than the threshold (1).
- Timestamp:                  Tuesday 12 May, 2026 23:31:00 UTC
"""  # noqa: E501


@pytest.mark.parametrize("speed", ["0", "-2", "3601"])
def test_a_speed_out_of_range_exits_2(speed: str) -> None:
    result = CliRunner().invoke(app, ["local", "serve", "--speed", speed])
    assert result.exit_code == 2
    assert "--speed must be more than 0 and at most 3600" in result.output


def test_a_bad_scenario_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"start": "2026-05-12T22:00:00Z", "end": "2026-05-12T21:00:00Z"}')
    result = CliRunner().invoke(app, ["local", "serve", "--scenario", str(path)])
    assert result.exit_code == 2
    assert "end must be after start" in result.output


def test_a_taken_port_exits_2_at_once(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["local", "serve", "--port", str(port), "--log", str(tmp_path / "serve.log")]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "pass another --port" in result.output


def test_an_alarm_email_shows_its_runbook_and_reason() -> None:
    assert email_preview(ALARM_BODY) == [
        "Description: No successful port sheet sync for 90 minutes: check the token.",
        "Reason for State Change: Threshold Crossed: 1 out of the last 1 datapoints [0] were less than "
        "the threshold (1).",
    ]


def test_other_emails_show_their_first_lines_and_long_lines_are_cut() -> None:
    body = "The agent needs a human.\n\nTitle: crew contracts\nReason: " + "x" * 500 + "\nHandoff note:\n..."
    shown = email_preview(body)
    assert shown[:2] == ["The agent needs a human.", "Title: crew contracts"]
    assert len(shown) == 3
    assert shown[2].startswith("Reason: xxx")
    assert shown[2].endswith("...")
    assert len(shown[2]) == 240


def test_the_summary_line_counts_and_durations() -> None:
    start = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)
    summary = Summary(start, start + timedelta(hours=3, minutes=5), 190.0, 1, 3, 1, {"done": 1})
    assert summary.line() == (
        "stopped at 2026-05-13T01:05:00Z after 3 h 5 min simulated (3 min real): "
        "1 task (1 done), 3 sessions, 1 email"
    )
    idle = Summary(start, start + timedelta(seconds=42), 42.0, 0, 0, 0)
    assert idle.line().endswith("after 42 s simulated (42 s real): 0 tasks, 0 sessions, 0 emails")
