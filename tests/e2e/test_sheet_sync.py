"""The port sheet sync and its alarms, end to end: healthy, revoked token, stopped sync."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from jada_tools.local.cloud import RunResult

from .conftest import sheet, task

pytestmark = pytest.mark.slow


def test_a_healthy_scenario_sends_no_email(run_scenario: Callable[..., RunResult]) -> None:
    result = run_scenario({
        "start": "2026-05-12T22:00:00Z", "end": "2026-05-13T00:30:00Z",
        "sheet_sync": sheet(),
        "tasks": [task("2026-05-12T22:00:00Z", "crew page"), task("2026-05-12T23:30:00Z", "berths")],
    })  # fmt: skip
    assert [s["outcome"] for s in result.report["syncs"]] == ["ok"] * 6
    assert result.report["sheet_rows"] == 12
    assert {t["status"] for t in result.report["tasks"]} == {"done"}
    assert result.report["emails"] == []


def test_a_revoked_token_emails_the_token_alarm_and_keeps_the_rows(
    run_scenario: Callable[..., RunResult],
) -> None:
    result = run_scenario({
        "start": "2026-05-12T22:00:00Z", "end": "2026-05-12T23:10:00Z",
        "sheet_sync": sheet(revoke_at="2026-05-12T22:40:00Z"),
    })  # fmt: skip
    syncs = [(s["at"][11:16], s["outcome"]) for s in result.report["syncs"]]
    assert syncs == [("22:00", "ok"), ("22:30", "ok"), ("23:00", "token_error")]
    assert result.report["syncs"][-1]["error_code"] == "invalid_grant"
    assert result.report["sheet_rows"] == 12  # nothing erased
    (email,) = result.report["emails"]
    assert email["subject"] == 'ALARM: "Jada-SheetSyncTokenError" in US East (N. Virginia)'
    assert (email["at"], email["to"]) == ("2026-05-12T23:01:00Z", "ops@example.com")
    assert "jada auth google" in email["body"]  # the runbook
    assert "OK -> ALARM" in email["body"]


def test_a_stopped_sync_emails_the_stale_sync_alarm(run_scenario: Callable[..., RunResult]) -> None:
    # Given the token endpoint stops answering after the 22:00 sync
    result = run_scenario({
        "start": "2026-05-12T22:00:00Z", "end": "2026-05-12T23:35:00Z",
        "sheet_sync": sheet(stop_at="2026-05-12T22:10:00Z"),
    })  # fmt: skip
    outcomes = [s["outcome"] for s in result.report["syncs"]]
    assert outcomes[0] == "ok"
    assert "ok" not in outcomes[1:]
    # Then 90 minutes without a success raise the stale-sync alarm, and only that one
    subjects = [e["subject"] for e in result.report["emails"]]
    assert subjects == ['ALARM: "Jada-SheetSyncStale" in US East (N. Virginia)']
    assert result.report["emails"][0]["at"] == "2026-05-12T23:31:00Z"
    assert result.report["sheet_rows"] == 12


PORT_ROWS = [
    ["Port", "Slip", "Boat", "Arrival", "Departure", "Status"],
    ["Lisbon", "A3", "Jada", "2026-05-14", "2026-05-15", "confirmed"],
    ["Cadiz", "B1", "Jada", "2026-05-17", "2026-05-17", "pending"],
    ["Malaga", "C2", "Jada", "2026-05-18", "2026-05-19", "confirmed"],
]


def test_a_capitalized_header_row_syncs(run_scenario: Callable[..., RunResult]) -> None:
    # Given the Google stand-in serves an ordinary sheet whose headers are capitalized
    result = run_scenario({
        "start": "2026-05-12T22:00:00Z", "end": "2026-05-12T22:40:00Z",
        "sheet_sync": sheet(rows=PORT_ROWS),
    })  # fmt: skip
    # Then both syncs succeed and the rows are mirrored
    assert [(s["outcome"], s["rows"], s["reason"]) for s in result.report["syncs"]] == [
        ("ok", 3, None),
        ("ok", 3, None),
    ]
    assert [s["written"] for s in result.report["syncs"]] == [3, 0]
    assert result.report["sheet_rows"] == 3
    assert result.report["emails"] == []


def test_a_sheet_without_the_key_column_reports_why(run_scenario: Callable[..., RunResult]) -> None:
    rows = [["Harbour", *PORT_ROWS[0][1:]], *PORT_ROWS[1:]]
    result = run_scenario({
        "start": "2026-05-12T22:00:00Z", "end": "2026-05-12T22:10:00Z", "sheet_sync": sheet(rows=rows),
    })  # fmt: skip
    [entry] = result.report["syncs"]
    assert (entry["outcome"], entry["error_code"]) == ("config_error", "configuration")
    assert entry["reason"].startswith("the header row has no key column 'port'")
    assert "(found: Harbour, Slip, Boat, Arrival, Departure, Status)" in entry["reason"]
    assert result.report["sheet_rows"] == 0


def test_a_token_incident_emails_once_and_its_recovery_once(run_scenario: Callable[..., RunResult]) -> None:
    # Given a token revoked after the 22:30 sync, and re-authorized an hour later
    result = run_scenario({
        "start": "2026-05-12T22:00:00Z", "end": "2026-05-13T01:30:00Z",
        "sheet_sync": sheet(revoke_at="2026-05-12T22:40:00Z", restore_at="2026-05-12T23:40:00Z"),
    })  # fmt: skip
    syncs = [(s["at"][11:16], s["outcome"]) for s in result.report["syncs"]]
    assert syncs[:5] == [("22:00", "ok"), ("22:30", "ok"), ("23:00", "token_error"), ("23:30", "token_error"),
                         ("00:00", "ok")]  # fmt: skip
    # Then the token alarm emails when the first run fails, stays in ALARM between the failing runs
    # (errors are sent only by failing runs), and emails OK an hour after the last one; the stale
    # alarm stays quiet: the token alarm has reported this incident
    emails = [(e["at"][11:16], e["subject"]) for e in result.report["emails"]]
    assert emails == [
        ("23:01", 'ALARM: "Jada-SheetSyncTokenError" in US East (N. Virginia)'),
        ("00:31", 'OK: "Jada-SheetSyncTokenError" in US East (N. Virginia)'),
    ]


def test_a_stale_sync_emails_once_and_its_recovery_once(run_scenario: Callable[..., RunResult]) -> None:
    # Given Google unreachable from 22:10 to 00:10 (transient errors: no alarm of their own)
    result = run_scenario({
        "start": "2026-05-12T22:00:00Z", "end": "2026-05-13T01:30:00Z",
        "sheet_sync": sheet(stop_at="2026-05-12T22:10:00Z", restore_at="2026-05-13T00:10:00Z"),
    })  # fmt: skip
    outcomes = [s["outcome"] for s in result.report["syncs"]]
    assert outcomes == ["ok", *["transient_error"] * 4, "ok", "ok", "ok"]
    emails = [(e["at"][11:16], e["subject"]) for e in result.report["emails"]]
    assert emails == [
        ("23:31", 'ALARM: "Jada-SheetSyncStale" in US East (N. Virginia)'),
        ("00:31", 'OK: "Jada-SheetSyncStale" in US East (N. Virginia)'),
    ]


def test_without_a_sheet_the_sync_is_off_and_nothing_emails(run_scenario: Callable[..., RunResult]) -> None:
    # a fresh deploy without a spreadsheet id: no sync runs, no alarm fires
    result = run_scenario({"start": "2026-05-12T22:00:00Z", "end": "2026-05-13T00:30:00Z"})
    assert result.report["syncs"] == []
    assert result.report["emails"] == []
    assert not [a for a in result.report["alarms"] if a["name"].startswith("Jada-SheetSync")]
