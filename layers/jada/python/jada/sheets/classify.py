"""Sync outcomes, and the classification of a failure by exception type, error code and HTTP status
(never by message text)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from jada.errors import ConfigurationError, TokenRefreshFailed

OK = "ok"
TOKEN_ERROR = "token_error"  # noqa: S105 - re-authentication needed: `jada auth google`
TRANSIENT_ERROR = "transient_error"  # retried within the run, then reported
CONFIG_ERROR = "config_error"  # wrong client, no access, no such sheet or range
NOT_CONFIGURED = "not_configured"  # no token stored yet
OUTCOMES = (OK, TOKEN_ERROR, TRANSIENT_ERROR, CONFIG_ERROR, NOT_CONFIGURED)

#: token endpoint error codes (RFC 6749 section 5.2) that a new consent fixes
REAUTH_CODES = {"invalid_grant"}
#: codes that mean the OAuth client or request is wrong: fix the configuration
CONFIG_CODES = {
    "invalid_client",
    "unauthorized_client",
    "invalid_scope",
    "invalid_request",
    "unsupported_grant_type",
}
TRANSIENT_CODES = {"temporarily_unavailable", "server_error", "internal_failure"}
AWS_TRANSIENT_CODES = {
    "ThrottlingException",
    "Throttling",
    "InternalServiceError",
    "ServiceUnavailable",
    "RequestTimeout",
    "RequestLimitExceeded",
}


@dataclass(frozen=True)
class Failure:
    outcome: str
    code: str
    description: str


def classify(exc: BaseException) -> Failure | None:
    """The outcome a failure stands for; None for an exception that is not a sync failure (a bug)."""
    if isinstance(exc, TokenRefreshFailed):
        return _token_failure(exc.details)
    if isinstance(exc, ConfigurationError):
        return Failure(CONFIG_ERROR, "configuration", exc.message)
    google = _google_failure(exc)
    if google is not None:
        return google
    aws = _aws_failure(exc)
    if aws is not None:
        return aws
    if isinstance(exc, ConnectionError | TimeoutError | http.client.HTTPException | OSError):
        return Failure(TRANSIENT_ERROR, type(exc).__name__, "network error talking to Google")
    return None


def _token_failure(details: dict[str, Any]) -> Failure:
    code = str(details.get("error") or "")
    subtype = str(details.get("error_subtype") or "")
    description = str(details.get("error_description") or "")
    status = int(details.get("status") or 0)
    if code in REAUTH_CODES:
        return Failure(TOKEN_ERROR, subtype or code, description or "the refresh token is expired or revoked")
    if code in CONFIG_CODES:
        return Failure(CONFIG_ERROR, code, description or "the OAuth client is misconfigured")
    if details.get("retryable") or code in TRANSIENT_CODES or status >= 500 or status == 429:
        return Failure(TRANSIENT_ERROR, code or f"http_{status}", description or "token endpoint unavailable")
    # a refusal without a known code (e.g. a 400 with an unknown body): a new consent is the fix
    return Failure(TOKEN_ERROR, code or f"http_{status}", description or "the token was refused")


def _google_failure(exc: BaseException) -> Failure | None:
    from google.auth.exceptions import RefreshError, TransportError
    from googleapiclient.errors import HttpError

    if isinstance(exc, HttpError):
        status = int(exc.resp.status)
        reason = _api_status(exc) or f"http_{status}"
        description = str(exc.reason or "")
        if status == 401:
            return Failure(TOKEN_ERROR, reason, description)
        if status == 429 or status >= 500:
            return Failure(TRANSIENT_ERROR, reason, description)
        return Failure(CONFIG_ERROR, reason, description)  # 400 bad range, 403 no access, 404 no sheet
    if isinstance(exc, RefreshError):  # a refresh outside our endpoint (e.g. by the Sheets transport)
        body = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
        return _token_failure({**body, "retryable": getattr(exc, "retryable", False)})
    if isinstance(exc, TransportError):
        return Failure(TRANSIENT_ERROR, "token_endpoint_unreachable", "cannot reach the token endpoint")
    try:
        import httplib2
    except ImportError:  # pragma: no cover
        return None
    if isinstance(exc, httplib2.HttpLib2Error):
        return Failure(TRANSIENT_ERROR, type(exc).__name__, "cannot reach the Sheets API")
    return None


def _api_status(exc: Any) -> str:
    """The Google API's `error.status` (e.g. PERMISSION_DENIED) from the response body."""
    try:
        body = json.loads(exc.content)
        return str(body["error"]["status"])
    except (ValueError, KeyError, TypeError):
        return ""


def _aws_failure(exc: BaseException) -> Failure | None:
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    if isinstance(exc, GetParameterError):
        cause = exc.__cause__ or exc.__context__
        found = _aws_failure(cause) if cause is not None else None
        return found or Failure(CONFIG_ERROR, "secret_unreadable", "cannot read the Google token secret")
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in AWS_TRANSIENT_CODES:
            return Failure(TRANSIENT_ERROR, code, "AWS throttled or failed the request")
        return Failure(CONFIG_ERROR, code, "AWS refused the request (permissions or resource)")
    if isinstance(exc, BotoCoreError):
        return Failure(TRANSIENT_ERROR, type(exc).__name__, "cannot reach AWS")
    return None
