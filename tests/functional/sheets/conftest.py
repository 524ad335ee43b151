"""Sheet sync fixtures: the Google fake on loopback, the sheet table and token secret in moto."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from jada import telemetry
from jada.settings import Resources, Settings
from jada.sheets.api import SheetReader
from jada.sheets.store import SheetStore
from jada.sheets.sync import SyncConfig, SyncResult, run_sync
from jada.sheets.token import TokenSource
from jada.stores import schema
from jada_tools.fakes.google_server import GoogleFake

NOW = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)
SHEET_ID = "sheet-abc123"
TABLE = "jada-sheet"
SECRET = "jada/google-token"
# Values that must never show up in logs or CLI output.
REFRESH_TOKEN = "1//refresh-SECRET-4f9a2c"
CLIENT_SECRET = "GOCSPX-client-SECRET-77e1"


def token_json(
    refresh_token: str = REFRESH_TOKEN,
    obtained_at: datetime = NOW - timedelta(days=2),
    app_status: str = "testing",
) -> str:
    return json.dumps(
        {
            "refresh_token": refresh_token,
            "client_id": "client-123.apps.googleusercontent.com",
            "client_secret": CLIENT_SECRET,
            "token_uri": "https://oauth2.googleapis.com/token",
            "scopes": ["https://www.googleapis.com/auth/spreadsheets.readonly"],
            "obtained_at": obtained_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "app_status": app_status,
        }
    )


def closed_port_url() -> str:
    """A loopback URL nobody listens on: connections to it are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class SheetWorld:
    google: GoogleFake
    env: dict[str, str]
    sleeps: list[float] = field(default_factory=list)

    def put_token(self, value: str) -> None:
        boto3.client("secretsmanager").put_secret_value(SecretId=SECRET, SecretString=value)

    def store(self) -> SheetStore:
        return SheetStore(TABLE)

    def sync(self, now: datetime = NOW, **env: str) -> SyncResult:
        environ = {**self.env, **env}
        settings, res = Settings.from_env(environ), Resources.from_env(environ)
        return run_sync(
            SyncConfig.from_settings(settings, res.google_oauth_token_uri),
            tokens=TokenSource(res.google_token_secret_id, max_age=0),
            reader=SheetReader(res.sheets_api_endpoint),
            store=SheetStore(res.sheet_table),
            now=now,
            sleep=self.sleeps.append,
        )

    def live_rows(self) -> dict[str, dict[str, Any]]:
        return {r["key"]: r for r in self.store().rows()}


@pytest.fixture(autouse=True)
def _no_google_auth_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """google-auth sleeps ~1 s and 2 s between its own token retries: skip the waiting."""
    import google.auth._exponential_backoff as backoff

    monkeypatch.setattr(backoff.time, "sleep", lambda _s: None)


@pytest.fixture(scope="session")
def _google_server() -> Iterator[GoogleFake]:
    """One server for the session: the Sheets client is built once per endpoint, like in a container."""
    with GoogleFake(spreadsheet_id=SHEET_ID) as fake:
        yield fake


@pytest.fixture
def google(_google_server: GoogleFake) -> GoogleFake:
    _google_server.reset()
    _google_server.clock = lambda: NOW
    return _google_server


@pytest.fixture
def world(moto_aws: None, google: GoogleFake, monkeypatch: pytest.MonkeyPatch) -> Iterator[SheetWorld]:
    boto3.client("dynamodb").create_table(**schema.SHEET.create_kwargs(TABLE))
    boto3.client("secretsmanager").create_secret(Name=SECRET, SecretString=token_json())
    env = {
        "SPREADSHEET_ID": SHEET_ID,
        "SHEET_RANGE": "Ports!A1:F",
        "SHEET_KEY_COLUMN": "port",
        "GOOGLE_APP_TESTING": "true",
        "GOOGLE_TOKEN_SECRET_ID": SECRET,
        "SHEET_TABLE": TABLE,
        "GOOGLE_OAUTH_TOKEN_URI": google.token_uri,
        "SHEETS_API_ENDPOINT": google.sheets_endpoint,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return SheetWorld(google, env)


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """What the Powertools logger writes (the Lambda's CloudWatch log lines). Plain assignment:
    setStream would flush a stream an earlier test's capture already closed."""
    stream = io.StringIO()
    registered = telemetry.logger().registered_handler
    old, registered.stream = registered.stream, stream
    yield stream
    registered.stream = old
