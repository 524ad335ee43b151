"""The Google OAuth token: kept in Secrets Manager, turned into google-auth credentials, refreshed.

The secret holds the authorized-user JSON (`creds.to_json()`) plus `obtained_at` (ISO time of the
consent) and, when the operator said which, `app_status` ("testing" or "production"): an External
OAuth app in Testing status issues refresh tokens that die after 7 days. Without `app_status` the
deployment's `googleAppTesting` setting decides. `{}` or an empty value means "not configured".
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from jada.clock import iso, parse_time
from jada.errors import ConfigurationError, TokenRefreshFailed

SCOPES = ["https://www.googleapis.com/auth/spreadsheets.readonly"]
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105
REQUIRED_FIELDS = ("refresh_token", "client_id", "client_secret")
TESTING, PRODUCTION = "testing", "production"
#: refresh tokens of an OAuth app in Testing status die this many days after the consent
TESTING_TOKEN_DAYS = 7
#: the TokenExpiring alarm fires from this age (a day left to re-authenticate)
TOKEN_AGE_WARN_DAYS = TESTING_TOKEN_DAYS - 1
#: the sync reports the token's age (metric TokenAgeDays) from this age on: younger says nothing
TOKEN_AGE_NOTICE_DAYS = TOKEN_AGE_WARN_DAYS - 1
#: libraries whose DEBUG logs print request and response bodies (the secret's value, tokens)
WIRE_LOGGERS = (
    "botocore",
    "boto3",
    "urllib3",
    "requests_oauthlib",
    "oauthlib",
    "httplib2",
    "google",
    "googleapiclient",
)


def quiet_wire_logs() -> None:
    """Never let wire-level DEBUG logs print the token, whatever the root log level is."""
    for name in WIRE_LOGGERS:
        wire = logging.getLogger(name)
        if wire.getEffectiveLevel() < logging.INFO:
            wire.setLevel(logging.INFO)


@dataclass(frozen=True)
class TokenRecord:
    info: dict[str, Any] = field(repr=False)  # holds the refresh token: never printed
    obtained_at: datetime | None = None
    app_status: str = ""

    @classmethod
    def parse(cls, raw: str | bytes | None) -> TokenRecord | None:
        """The secret's value; None when empty (the deployed placeholder is `{}`)."""
        text = raw.decode() if isinstance(raw, bytes) else (raw or "")
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except ValueError:
            raise ConfigurationError("the Google token secret is not JSON") from None
        if not isinstance(data, dict):
            raise ConfigurationError("the Google token secret is not a JSON object")
        if not data:
            return None
        missing = [name for name in REQUIRED_FIELDS if not data.get(name)]
        if missing:
            raise ConfigurationError(f"the Google token secret lacks {', '.join(missing)}")
        obtained = data.pop("obtained_at", None)
        status = str(data.pop("app_status", "") or "").lower()
        try:
            obtained_at = parse_time(obtained) if obtained else None
        except ValueError:
            raise ConfigurationError("the Google token secret has an invalid obtained_at") from None
        return cls(info=data, obtained_at=obtained_at, app_status=status)

    @property
    def refresh_token(self) -> str:
        return str(self.info["refresh_token"])

    def age_days(self, now: datetime) -> float | None:
        if self.obtained_at is None:
            return None
        return round(max(0.0, (now - self.obtained_at).total_seconds() / 86400), 2)

    def is_testing_app(self, default: bool) -> bool:
        return self.app_status == TESTING if self.app_status else default

    def credentials(self, token_uri: str | None = None) -> Any:
        """google-auth credentials, built directly: `from_authorized_user_info` would ignore `token_uri`."""
        from google.oauth2.credentials import Credentials

        return Credentials(
            token=None,
            refresh_token=self.info["refresh_token"],
            client_id=self.info["client_id"],
            client_secret=self.info["client_secret"],
            token_uri=token_uri or self.info.get("token_uri") or GOOGLE_TOKEN_URI,
            scopes=self.info.get("scopes") or SCOPES,
        )


def secret_value(authorized_user_json: str, obtained_at: datetime, app_status: str = "") -> str:
    """What `jada auth google` stores: the authorized-user JSON plus when, and for which app status
    if the operator said (empty: none recorded, the deployment's setting applies)."""
    data = json.loads(authorized_user_json)
    data.pop("token", None)  # the short-lived access token is not worth keeping
    data.pop("expiry", None)
    data["obtained_at"] = iso(obtained_at)
    if app_status:
        data["app_status"] = app_status
    return json.dumps(data)


class TokenSource:
    """Reads the token secret through Powertools Parameters (cached for `max_age` seconds)."""

    def __init__(self, secret_id: str, provider: Any = None, max_age: int = 300) -> None:
        self.secret_id = secret_id
        self._provider = provider
        self.max_age = max_age

    @property
    def provider(self) -> Any:
        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider

            from jada import aws

            self._provider = SecretsProvider(boto3_client=aws.client("secretsmanager"))
        return self._provider

    def load(self, *, force: bool = False) -> TokenRecord | None:
        if not self.secret_id:
            return None
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            raw = self.provider.get(self.secret_id, max_age=self.max_age, force_fetch=force)
        except GetParameterError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ClientError) and _code(cause) == "ResourceNotFoundException":
                return None  # no secret, or a secret without a value yet
            raise
        return TokenRecord.parse(raw)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class TokenEndpoint:
    """google-auth's requests transport with a timeout, remembering the token endpoint's last error
    answer (its `error`, `error_subtype` and `error_description` only), so failures are classified
    by the code on the wire: google-auth drops it for `invalid_rapt`."""

    def __init__(self, timeout: float = 20.0) -> None:
        from google.auth.transport.requests import Request

        self._request = Request()
        self.timeout = timeout
        self.last_error: dict[str, Any] | None = None

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        response = self._request(url, method, body, headers, timeout or self.timeout, **kwargs)
        if response.status >= 400:
            self.last_error = _error_fields(response.status, response.data)
        return response


def _error_fields(status: int, data: bytes | str) -> dict[str, Any]:
    fields: dict[str, Any] = {"status": status}
    try:
        body = json.loads(data)
    except ValueError:
        return fields
    if isinstance(body, dict):
        fields.update({k: str(body[k]) for k in ("error", "error_subtype", "error_description") if k in body})
    return fields


def refresh(credentials: Any, endpoint: TokenEndpoint) -> None:
    """Refresh the access token; a refusal becomes `TokenRefreshFailed` with the endpoint's error code."""
    from google.auth.exceptions import RefreshError

    endpoint.last_error = None
    try:
        credentials.refresh(endpoint)
    except RefreshError as exc:
        answer: dict[str, Any] = dict(endpoint.last_error or {})
        if not answer.get("error") and len(exc.args) > 1 and isinstance(exc.args[1], dict):
            answer.update({k: str(v) for k, v in exc.args[1].items() if k in ("error", "error_description")})
        raise TokenRefreshFailed(
            "the token endpoint refused to refresh the Google token",
            retryable=bool(getattr(exc, "retryable", False)),
            **answer,
        ) from exc
