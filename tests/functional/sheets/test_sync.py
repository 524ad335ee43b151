"""run_sync against the loopback Google fake (real google-auth and googleapiclient) and moto."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import boto3
import pytest
from jada.sheets.store import SheetStore
from jada.sheets.sync import metric_values
from jada.telemetry import M
from jada_tools.fakes.google_server import HEADER, SAMPLE_ROWS

from tests.functional.sheets.conftest import NOW, TABLE, SheetWorld, closed_port_url, token_json

LATER = NOW + timedelta(minutes=30)


def test_healthy_sync_mirrors_every_row_and_records_the_run(world: SheetWorld) -> None:
    result = world.sync()

    assert (result.outcome, result.rows, result.written, result.tombstoned) == ("ok", 12, 12, 0)
    rows = world.live_rows()
    assert rows["Lisbon"]["data"] == dict(zip(HEADER, SAMPLE_ROWS[1], strict=True))
    assert rows["Lisbon"]["row"] == 2
    assert result.token_age_days == 2.0
    [run] = world.store().last_runs()
    assert (run["outcome"], run["rows"], run["at"]) == ("ok", 12, "2026-05-12T22:00:00Z")
    # one token refresh and one Sheets call, with a Bearer token from the refresh
    assert len(world.google.calls("token")) == 1
    assert len(world.google.calls("sheets")) == 1


def test_unchanged_sheet_writes_nothing(world: SheetWorld) -> None:
    world.sync()
    result = world.sync(LATER)
    assert (result.written, result.unchanged, result.tombstoned) == (0, 12, 0)


def test_changed_added_and_removed_rows(world: SheetWorld) -> None:
    world.sync()
    rows = [list(r) for r in SAMPLE_ROWS]
    rows[1][5] = "cancelled"  # Lisbon changed
    del rows[2]  # Cadiz left the sheet
    rows.append(["Split", "HR", "2026-06-09", "2026-06-10", "M1", "pending"])  # added
    world.google.rows = rows

    result = world.sync(LATER)

    assert (result.outcome, result.written, result.tombstoned, result.unchanged) == ("ok", 2, 1, 10)
    live = world.live_rows()
    assert live["Lisbon"]["data"]["status"] == "cancelled"
    assert "Split" in live
    assert "Cadiz" not in live
    [cadiz] = [r for r in world.store().rows(include_deleted=True) if r["key"] == "Cadiz"]
    assert cadiz["deleted_at"] == "2026-05-12T22:30:00Z"
    assert cadiz["data"]["berth"] == "B1"  # a tombstone keeps the data

    world.google.rows = [list(r) for r in SAMPLE_ROWS]  # Cadiz is back
    again = world.sync(LATER + timedelta(minutes=30))
    assert "Cadiz" in world.live_rows()
    assert again.written == 2  # Cadiz revived, Lisbon reverted


def test_revoked_token_is_a_token_error_and_keeps_rows(world: SheetWorld) -> None:
    world.sync()
    world.google.revoke()
    world.google.rows = []

    result = world.sync(LATER)

    assert result.outcome == "token_error"
    assert result.error_code == "invalid_grant"
    assert result.error_description == "Token has been expired or revoked."
    assert len(world.live_rows()) == 12
    assert world.store().last_runs()[0]["outcome"] == "token_error"
    assert world.google.calls("sheets")
    assert len(world.google.calls("sheets")) == 1


def test_invalid_rapt_is_a_token_error_with_its_subtype(world: SheetWorld) -> None:
    world.google.token_mode = "invalid_rapt"
    result = world.sync()
    assert (result.outcome, result.error_code) == ("token_error", "invalid_rapt")


def test_token_revoked_at_a_simulated_time(world: SheetWorld) -> None:
    world.google.revoke_at(NOW + timedelta(days=7))
    world.google.clock = lambda: NOW + timedelta(days=7)
    assert world.sync().outcome == "token_error"


def test_invalid_client_is_a_config_error(world: SheetWorld) -> None:
    world.google.token_mode = "invalid_client"
    result = world.sync()
    assert (result.outcome, result.error_code) == ("config_error", "invalid_client")
    assert result.attempts == 1  # not retried


def test_sheets_5xx_then_recovery_retries_within_the_run(world: SheetWorld) -> None:
    world.google.fail_sheets(times=2, status=503)
    result = world.sync()
    assert (result.outcome, result.rows, result.attempts) == ("ok", 12, 3)
    assert world.sleeps == [2.0, 4.0]


def test_sheets_5xx_that_lasts_is_a_transient_error(world: SheetWorld) -> None:
    world.sync()
    world.google.sheets_mode = "server_error"
    result = world.sync(LATER)
    assert (result.outcome, result.error_code, result.attempts) == ("transient_error", "INTERNAL", 3)
    assert len(world.live_rows()) == 12


def test_token_endpoint_500_once_is_retried_by_google_auth(world: SheetWorld) -> None:
    world.google.fail_token(times=1, status=500)
    assert world.sync().outcome == "ok"
    assert len(world.google.calls("token")) == 2


def test_token_endpoint_html_503_is_transient(world: SheetWorld) -> None:
    world.google.token_mode = "unavailable"
    result = world.sync()
    assert (result.outcome, result.error_code) == ("transient_error", "http_503")


def test_refused_connection_to_token_endpoint(world: SheetWorld) -> None:
    result = world.sync(GOOGLE_OAUTH_TOKEN_URI=closed_port_url() + "/token")
    assert (result.outcome, result.error_code, result.attempts) == (
        "transient_error",
        "token_endpoint_unreachable",
        3,
    )


def test_refused_connection_to_sheets_api(world: SheetWorld) -> None:
    result = world.sync(SHEETS_API_ENDPOINT=closed_port_url())
    assert result.outcome == "transient_error"
    assert result.error_code == "ConnectionRefusedError"


def test_dropped_connection_is_transient(world: SheetWorld) -> None:
    world.google.sheets_mode = "drop"
    assert world.sync().outcome == "transient_error"


def test_403_no_access_is_a_config_error(world: SheetWorld) -> None:
    world.google.sheets_mode = "forbidden"
    result = world.sync()
    assert (result.outcome, result.error_code, result.attempts) == ("config_error", "PERMISSION_DENIED", 1)


def test_404_unknown_spreadsheet_is_a_config_error(world: SheetWorld) -> None:
    result = world.sync(SPREADSHEET_ID="no-such-sheet")
    assert (result.outcome, result.error_code) == ("config_error", "NOT_FOUND")


def test_missing_key_column_is_a_config_error(world: SheetWorld) -> None:
    result = world.sync(SHEET_KEY_COLUMN="vessel")
    assert result.outcome == "config_error"
    assert "vessel" in (result.error_description or "")


def test_without_a_spreadsheet_id_the_sync_is_off_and_says_so(world: SheetWorld) -> None:
    result = world.sync(SPREADSHEET_ID="")
    assert result.outcome == "not_configured"
    assert "no spreadsheetId is configured" in (result.reason or "")
    assert result.attempts == 0
    assert world.google.requests == []  # nothing asked of Google


def test_a_testing_token_reports_its_age_only_near_the_end(world: SheetWorld) -> None:
    # a token obtained 2 days ago says nothing; at 5.5 days the TokenExpiring alarm's metric appears
    assert M.TOKEN_AGE_DAYS not in metric_values(world.sync())
    world.put_token(token_json(obtained_at=NOW - timedelta(days=5, hours=12)))
    assert metric_values(world.sync(now=NOW + timedelta(minutes=10)))[M.TOKEN_AGE_DAYS] == 5.51


def test_malformed_rows_are_quarantined_and_the_rest_sync(world: SheetWorld) -> None:
    rows = [list(r) for r in SAMPLE_ROWS]
    rows[3][0] = ""  # row 4: no key
    rows.append(["Lisbon", "PT", "2026-07-01", "", "", ""])  # row 14: duplicate key
    world.google.rows = rows

    result = world.sync()

    assert (result.outcome, result.rows, result.quarantined) == ("ok", 11, 2)
    assert result.quarantine == [
        {"row": 4, "reason": "empty key"},
        {"row": 14, "reason": "duplicate key (first at row 2)"},
    ]
    assert world.live_rows()["Lisbon"]["data"]["arrival"] == "2026-05-14"


def test_empty_sheet_never_tombstones(world: SheetWorld) -> None:
    world.sync()
    world.google.rows = []
    result = world.sync(LATER)
    assert (result.outcome, result.suspicious, result.tombstoned) == ("ok", True, 0)
    assert len(world.live_rows()) == 12

    world.google.rows = [HEADER]  # header only
    assert world.sync(LATER + timedelta(minutes=30)).suspicious
    assert len(world.live_rows()) == 12


def test_far_fewer_rows_is_suspicious(world: SheetWorld) -> None:
    world.sync()
    world.google.rows = SAMPLE_ROWS[:4]
    result = world.sync(LATER)
    assert (result.suspicious, result.tombstoned, result.rows) == (True, 0, 3)
    assert "far fewer" in (result.reason or "")
    assert len(world.live_rows()) == 12


def test_no_token_is_not_configured(world: SheetWorld) -> None:
    world.put_token("{}")
    result = world.sync()
    assert result.outcome == "not_configured"
    assert world.google.requests == []


def test_missing_secret_is_not_configured(world: SheetWorld) -> None:
    boto3.client("secretsmanager").delete_secret(
        SecretId="jada/google-token", ForceDeleteWithoutRecovery=True
    )
    assert world.sync().outcome == "not_configured"
    assert world.sync(GOOGLE_TOKEN_SECRET_ID="").outcome == "not_configured"


def test_malformed_secret_is_a_config_error(world: SheetWorld) -> None:
    world.put_token('{"client_id": "x"}')
    result = world.sync()
    assert result.outcome == "config_error"
    assert "refresh_token" in (result.error_description or "")


def test_renewed_secret_replaces_a_cached_revoked_token(world: SheetWorld) -> None:
    from jada.settings import Resources, Settings
    from jada.sheets.api import SheetReader
    from jada.sheets.sync import SyncConfig, run_sync
    from jada.sheets.token import TokenSource

    world.google.revoke("old-refresh")
    world.put_token(token_json(refresh_token="old-refresh"))
    settings, res = Settings.from_env(world.env), Resources.from_env(world.env)
    tokens = TokenSource(res.google_token_secret_id, max_age=3600)
    tokens.load()  # cached
    world.put_token(token_json(refresh_token="new-refresh"))  # `jada auth google` ran meanwhile

    result = run_sync(
        SyncConfig.from_settings(settings, res.google_oauth_token_uri),
        tokens=tokens,
        reader=SheetReader(res.sheets_api_endpoint),
        store=SheetStore(TABLE),
        now=NOW,
        sleep=world.sleeps.append,
    )
    assert result.outcome == "ok"


PORT_HEADER = ["Port", "Slip", "Boat", "Arrival", "Departure", "Status"]


def test_a_capitalized_header_syncs_with_normalised_column_names(world: SheetWorld) -> None:
    # Given an ordinary sheet whose header row is capitalized (and the key setting is `port`)
    world.google.rows = [
        PORT_HEADER,
        ["Lisbon", "A3", "Jada", "2026-05-14", "2026-05-15", "confirmed"],
        ["Cadiz", "B1", "Jada", "2026-05-17", "2026-05-17", "pending"],
    ]
    result = world.sync()
    # Then every row syncs, keyed by port, its data under the normalised names
    assert (result.outcome, result.rows, result.written, result.reason) == ("ok", 2, 2, None)
    assert world.live_rows()["Cadiz"]["data"] == {
        "port": "Cadiz", "slip": "B1", "boat": "Jada", "arrival": "2026-05-17",
        "departure": "2026-05-17", "status": "pending",
    }  # fmt: skip
    # And re-capitalizing a heading later rewrites nothing
    world.google.rows[0] = [h.upper() for h in PORT_HEADER]
    assert world.sync(LATER).unchanged == 2


def test_a_header_repeating_a_name_is_a_config_error_that_names_it(world: SheetWorld) -> None:
    world.google.rows = [["Port", "Status", "status "], ["Lisbon", "ok", "late"]]
    result = world.sync()
    assert result.outcome == "config_error"
    assert "'Status' (column 2) and 'status' (column 3)" in (result.reason or "")
    assert world.live_rows() == {}  # nothing written


@pytest.mark.parametrize(
    ("arrange", "outcome"),
    [
        (lambda w: w.google.revoke(), "token_error"),
        (lambda w: setattr(w.google, "sheets_mode", "unavailable"), "transient_error"),
        (lambda w: setattr(w.google, "sheets_mode", "forbidden"), "config_error"),
        (lambda w: w.put_token("{}"), "not_configured"),
    ],
    ids=["token_error", "transient_error", "config_error", "not_configured"],
)
def test_every_failed_outcome_says_why_in_reason(
    world: SheetWorld, arrange: Callable[[SheetWorld], None], outcome: str
) -> None:
    arrange(world)
    result = world.sync()
    assert result.outcome == outcome
    assert result.reason  # a description, in the result and in the recorded run
    [run] = world.store().last_runs()
    assert run["reason"] == result.reason
