"""A loopback fake of Google's OAuth token endpoint and the Sheets API values endpoints.

For tests and the local cloud: the real google-auth and google-api-python-client code talks to it
over HTTP on 127.0.0.1 (a free port).

    with GoogleFake(rows=SAMPLE_ROWS, clock=lambda: now) as google:
        creds = Credentials(None, refresh_token="rt", client_id="id", client_secret="s",
                            token_uri=google.token_uri)
        # Sheets: client_options={"api_endpoint": google.sheets_endpoint}

Token endpoint modes (`token_mode`): "ok", "invalid_grant" (revoked or expired), "invalid_rapt",
"invalid_client", "server_error" (500), "unavailable" (503 with an HTML body), "drop" (closes the
connection without an answer). `revoke()` / `revoke_at(moment)` make a refresh token die, at once or
when `clock()` reaches `moment`. Sheets modes (`sheets_mode`): "ok", "forbidden" (403),
"not_found" (404), "rate_limited" (429), "server_error" (500), "unavailable" (503), "drop".
`fail_token(times, status)` / `fail_sheets(times, status)` fail only the next few requests.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jada_tools.fakes.loopback import LoopbackServer

HEADER = ["port", "country", "arrival", "departure", "berth", "status"]
SAMPLE_ROWS: list[list[str]] = [
    HEADER,
    ["Lisbon", "PT", "2026-05-14", "2026-05-15", "A3", "confirmed"],
    ["Cadiz", "ES", "2026-05-17", "2026-05-17", "B1", "confirmed"],
    ["Malaga", "ES", "2026-05-18", "2026-05-19", "C2", "pending"],
    ["Palma", "ES", "2026-05-20", "2026-05-21", "D4", "confirmed"],
    ["Barcelona", "ES", "2026-05-22", "2026-05-23", "E1", "confirmed"],
    ["Marseille", "FR", "2026-05-24", "2026-05-24", "F2", "pending"],
    ["Genoa", "IT", "2026-05-26", "2026-05-27", "G3", "confirmed"],
    ["Livorno", "IT", "2026-05-28", "2026-05-28", "H1", "confirmed"],
    ["Civitavecchia", "IT", "2026-05-29", "2026-05-30", "I2", "confirmed"],
    ["Naples", "IT", "2026-05-31", "2026-06-01", "J4", "pending"],
    ["Valletta", "MT", "2026-06-03", "2026-06-04", "K1", "confirmed"],
    ["Piraeus", "GR", "2026-06-06", "2026-06-07", "L2", "confirmed"],
]

TOKEN_ERRORS: dict[str, tuple[int, dict[str, str]]] = {
    "invalid_grant": (
        400,
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    ),
    "invalid_rapt": (
        400,
        {
            "error": "invalid_grant",
            "error_description": "reauth related error (invalid_rapt)",
            "error_subtype": "invalid_rapt",
        },
    ),
    "invalid_client": (
        401,
        {"error": "invalid_client", "error_description": "The OAuth client was not found."},
    ),
    "server_error": (500, {"error": "internal_failure", "error_description": "Backend error."}),
}
SHEETS_ERRORS: dict[str, tuple[int, str]] = {
    "forbidden": (403, "PERMISSION_DENIED"),
    "not_found": (404, "NOT_FOUND"),
    "rate_limited": (429, "RESOURCE_EXHAUSTED"),
    "server_error": (500, "INTERNAL"),
    "unavailable": (503, "UNAVAILABLE"),
    "unauthenticated": (401, "UNAUTHENTICATED"),
}
_STATUS_MODE = {
    403: "forbidden",
    404: "not_found",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "token" if self.path == "/token" else "sheets"


class GoogleFake(LoopbackServer):
    name = "google-fake"

    def __init__(
        self,
        rows: list[list[str]] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        spreadsheet_id: str | None = None,
        refresh_tokens: set[str] | None = None,
    ) -> None:
        """`spreadsheet_id` None serves any id; `refresh_tokens` None accepts any non-empty one."""
        self.rows = [list(r) for r in (SAMPLE_ROWS if rows is None else rows)]
        self.clock = clock or (lambda: datetime.now(UTC))
        self.spreadsheet_id = spreadsheet_id
        self.refresh_tokens = refresh_tokens
        self.token_mode = "ok"  # noqa: S105
        self.sheets_mode = "ok"
        self.revoked: set[str] = set()
        self.revoke_time: datetime | None = None
        self.requests: list[Recorded] = []
        self._token_failures: list[str] = []
        self._sheets_failures: list[str] = []
        self._access_tokens: set[str] = set()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        super().__init__()

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    @property
    def sheets_endpoint(self) -> str:
        return self.base_url

    # --- control ----------------------------------------------------------------------------
    def revoke(self, refresh_token: str | None = None) -> None:
        """Revoke one refresh token, or (None) every token: refreshes answer invalid_grant."""
        with self._lock:
            if refresh_token is None:
                self.token_mode = "invalid_grant"  # noqa: S105
            else:
                self.revoked.add(refresh_token)

    def revoke_at(self, moment: datetime) -> None:
        """Every refresh token dies when `clock()` reaches `moment` (an app in Testing: 7 days)."""
        self.revoke_time = moment

    def reauthorize(self) -> None:
        """The user consented again: tokens work again."""
        with self._lock:
            self.token_mode = "ok"  # noqa: S105
            self.revoked.clear()
            self.revoke_time = None

    def reset(self, rows: list[list[str]] | None = None) -> None:
        """Back to a healthy fake with `rows` (default: the sample sheet) and no recorded requests."""
        with self._lock:
            self.rows = [list(r) for r in (SAMPLE_ROWS if rows is None else rows)]
            self.token_mode = self.sheets_mode = "ok"  # noqa: S105
            self.revoked.clear()
            self.revoke_time = None
            self.requests.clear()
            self._token_failures.clear()
            self._sheets_failures.clear()

    def fail_token(self, times: int = 1, status: int = 500) -> None:
        self._token_failures.extend(["server_error" if status == 500 else "unavailable"] * times)

    def fail_sheets(self, times: int = 1, status: int = 503) -> None:
        self._sheets_failures.extend([_STATUS_MODE[status]] * times)

    def calls(self, kind: str) -> list[Recorded]:
        return [r for r in self.requests if r.kind == kind]

    # --- behaviour --------------------------------------------------------------------------
    def _token_answer(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        with self._lock:
            mode = self._token_failures.pop(0) if self._token_failures else self.token_mode
        if mode == "unavailable":
            return 503, "<html><body>Service Unavailable</body></html>"
        if mode in TOKEN_ERRORS:
            return TOKEN_ERRORS[mode]
        grant = _one(form, "grant_type")
        if grant == "authorization_code":  # the installed-app flow of `jada auth google`
            return 200, self._issue(refresh_token=f"1//fake-refresh-{next(self._ids)}")
        refresh = _one(form, "refresh_token")
        if grant != "refresh_token" or not refresh:
            return 400, {"error": "invalid_request", "error_description": "Missing refresh_token."}
        dead = refresh in self.revoked or (
            self.refresh_tokens is not None and refresh not in self.refresh_tokens
        )
        if dead or (self.revoke_time is not None and self.clock() >= self.revoke_time):
            return TOKEN_ERRORS["invalid_grant"]
        return 200, self._issue()

    def _issue(self, refresh_token: str | None = None) -> dict[str, Any]:
        token = f"ya29.fake-access-{next(self._ids)}"
        with self._lock:
            self._access_tokens.add(token)
        body: dict[str, Any] = {
            "access_token": token,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": "https://www.googleapis.com/auth/spreadsheets.readonly",
        }
        if refresh_token:
            body["refresh_token"] = refresh_token
        return body

    def _sheets_answer(self, path: str, query: dict[str, list[str]], auth: str) -> tuple[int, Any]:
        with self._lock:
            mode = self._sheets_failures.pop(0) if self._sheets_failures else self.sheets_mode
            known = auth.removeprefix("Bearer ") in self._access_tokens
        if mode in SHEETS_ERRORS:
            return _sheets_error(*SHEETS_ERRORS[mode])
        if not known:
            return _sheets_error(*SHEETS_ERRORS["unauthenticated"])
        parts = path.split("/")  # ['', 'v4', 'spreadsheets', ID, 'values', RANGE] or [.., 'values:batchGet']
        if len(parts) < 5 or parts[1:3] != ["v4", "spreadsheets"]:
            return _sheets_error(404, "NOT_FOUND")
        sheet_id = unquote(parts[3])
        if self.spreadsheet_id is not None and sheet_id != self.spreadsheet_id:
            return _sheets_error(404, "NOT_FOUND", f"Requested entity was not found: {sheet_id}")
        rows = [list(r) for r in self.rows]
        if parts[4] == "values:batchGet":
            ranges = query.get("ranges", [])
            return 200, {"spreadsheetId": sheet_id, "valueRanges": [_value_range(r, rows) for r in ranges]}
        if parts[4] == "values" and len(parts) == 6:
            return 200, _value_range(unquote(parts[5]), rows)
        return _sheets_error(404, "NOT_FOUND")


def _value_range(range_: str, rows: list[list[str]]) -> dict[str, Any]:
    body: dict[str, Any] = {"range": range_, "majorDimension": "ROWS"}
    if rows:  # like the real API: no "values" key for an empty range
        body["values"] = rows
    return body


def _sheets_error(status: int, reason: str, message: str = "") -> tuple[int, Any]:
    text = message or {
        403: "The caller does not have permission",
        404: "Requested entity was not found.",
        429: "Quota exceeded.",
        401: "Request had invalid authentication credentials.",
    }.get(status, "Internal error encountered.")
    return status, {"error": {"code": status, "message": text, "status": reason}}


def _one(form: dict[str, list[str]], key: str) -> str:
    values = form.get(key) or [""]
    return values[0]


def _handler_for(fake: GoogleFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:  # keep test output (and tokens) out of stderr
            return

        def _reply(self, status: int, body: Any) -> None:
            raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            ctype = "text/html" if isinstance(body, str) else "application/json; charset=UTF-8"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _drop(self) -> None:
            self.close_connection = True
            self.connection.close()

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            fake.requests.append(Recorded("POST", url.path, parse_qs(url.query), form))
            if url.path != "/token":
                self._reply(404, {"error": "not_found"})
            elif fake.token_mode == "drop" and not fake._token_failures:  # noqa: S105
                self._drop()
            else:
                self._reply(*fake._token_answer(form))

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            fake.requests.append(Recorded("GET", url.path, query))
            if fake.sheets_mode == "drop" and not fake._sheets_failures:
                self._drop()
            else:
                self._reply(*fake._sheets_answer(url.path, query, self.headers.get("Authorization", "")))

    return Handler
