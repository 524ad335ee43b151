"""Reading the port sheet with google-api-python-client (static discovery, built once per container)."""

from __future__ import annotations

from functools import cache
from typing import Any

HTTP_TIMEOUT_SECONDS = 20


@cache
def _values_api(endpoint: str | None) -> tuple[Any, Any]:
    """The `spreadsheets().values()` resource and the authorized transport it uses; building them
    costs ~0.5 s, so it happens once. Each read swaps in that run's fresh credentials."""
    import google_auth_httplib2
    import httplib2
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import build

    authorized = google_auth_httplib2.AuthorizedHttp(
        Credentials(token=None), http=httplib2.Http(timeout=HTTP_TIMEOUT_SECONDS)
    )
    options = {"api_endpoint": endpoint} if endpoint else None
    service = build(
        "sheets", "v4", http=authorized, static_discovery=True, cache_discovery=False, client_options=options
    )
    return service.spreadsheets().values(), authorized


class SheetReader:
    """`endpoint` (SHEETS_API_ENDPOINT) sends the calls elsewhere, e.g. to a loopback fake."""

    def __init__(self, endpoint: str | None = None) -> None:
        self.endpoint = endpoint or None
        self.calls = 0

    def read(self, credentials: Any, spreadsheet_id: str, sheet_range: str) -> list[list[Any]]:
        values, authorized = _values_api(self.endpoint)
        authorized.credentials = credentials
        self.calls += 1
        response = values.get(
            spreadsheetId=spreadsheet_id,
            range=sheet_range,
            majorDimension="ROWS",
            valueRenderOption="FORMATTED_VALUE",
        ).execute(num_retries=0)
        return list(response.get("values", []))


def reset() -> None:
    """Forget the built client (tests switching endpoints; the local cloud between runs)."""
    _values_api.cache_clear()
