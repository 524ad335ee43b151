"""Failure classification by type and code, and the token secret's format."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError
from httplib2 import Response
from jada.errors import ConfigurationError, TokenRefreshFailed
from jada.sheets.classify import classify
from jada.sheets.token import TokenRecord, secret_value


def http_error(status: int, reason: str) -> HttpError:
    body = json.dumps({"error": {"code": status, "message": "same text for all", "status": reason}}).encode()
    return HttpError(Response({"status": status}), body)


@pytest.mark.parametrize(
    ("exc", "outcome", "code"),
    [
        (TokenRefreshFailed("x", error="invalid_grant", status=400), "token_error", "invalid_grant"),
        (
            TokenRefreshFailed("x", error="invalid_grant", error_subtype="invalid_rapt"),
            "token_error",
            "invalid_rapt",
        ),
        (TokenRefreshFailed("x", error="invalid_client", status=401), "config_error", "invalid_client"),
        (TokenRefreshFailed("x", status=503, retryable=False), "transient_error", "http_503"),
        (
            TokenRefreshFailed("x", error="internal_failure", retryable=True),
            "transient_error",
            "internal_failure",
        ),
        (TokenRefreshFailed("x", status=400), "token_error", "http_400"),
        (RefreshError("invalid_grant: gone", {"error": "invalid_grant"}), "token_error", "invalid_grant"),
        (TransportError("refused"), "transient_error", "token_endpoint_unreachable"),
        (http_error(401, "UNAUTHENTICATED"), "token_error", "UNAUTHENTICATED"),
        (http_error(403, "PERMISSION_DENIED"), "config_error", "PERMISSION_DENIED"),
        (http_error(404, "NOT_FOUND"), "config_error", "NOT_FOUND"),
        (http_error(400, "INVALID_ARGUMENT"), "config_error", "INVALID_ARGUMENT"),
        (http_error(429, "RESOURCE_EXHAUSTED"), "transient_error", "RESOURCE_EXHAUSTED"),
        (http_error(500, "INTERNAL"), "transient_error", "INTERNAL"),
        (ConnectionRefusedError(), "transient_error", "ConnectionRefusedError"),
        (TimeoutError(), "transient_error", "TimeoutError"),
        (ConfigurationError("no key column"), "config_error", "configuration"),
        (
            ClientError({"Error": {"Code": "AccessDeniedException"}}, "GetSecretValue"),
            "config_error",
            "AccessDeniedException",
        ),
        (
            ClientError({"Error": {"Code": "ThrottlingException"}}, "GetSecretValue"),
            "transient_error",
            "ThrottlingException",
        ),
        (EndpointConnectionError(endpoint_url="https://x"), "transient_error", "EndpointConnectionError"),
    ],
)
def test_classification(exc: BaseException, outcome: str, code: str) -> None:
    failure = classify(exc)
    assert failure is not None
    assert (failure.outcome, failure.code) == (outcome, code)


def test_message_text_alone_decides_nothing() -> None:
    assert classify(ValueError("invalid_grant")) is None
    assert classify(RefreshError("invalid_grant: looks bad")).outcome == "token_error"  # type: ignore[union-attr]


def test_token_secret_round_trip_keeps_no_access_token() -> None:
    authorized_user = json.dumps(
        {
            "token": "ya29.short",
            "refresh_token": "rt",
            "client_id": "c",
            "client_secret": "s",
            "expiry": "2026-01-01T00:00:00Z",
        }
    )
    value = secret_value(authorized_user, datetime(2026, 5, 1, tzinfo=UTC), "testing")
    assert "ya29" not in value
    record = TokenRecord.parse(value)
    assert record is not None
    assert record.age_days(datetime(2026, 5, 7, 12, tzinfo=UTC)) == 6.5
    assert record.is_testing_app(default=False)
    assert "rt" not in repr(record)


@pytest.mark.parametrize("raw", [None, "", "  ", "{}", b"{}"])
def test_empty_secret_is_not_configured(raw: str | bytes | None) -> None:
    assert TokenRecord.parse(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1]",
        '{"refresh_token": "rt"}',
        '{"refresh_token": "r", "client_id": "c", "client_secret": "s", "obtained_at": "soon"}',
    ],
)
def test_malformed_secret_is_a_configuration_error(raw: str) -> None:
    with pytest.raises(ConfigurationError):
        TokenRecord.parse(raw)


def test_app_status_defaults_to_the_deployment_setting() -> None:
    record = TokenRecord.parse('{"refresh_token": "r", "client_id": "c", "client_secret": "s"}')
    assert record is not None
    assert record.is_testing_app(default=True)
    assert not record.is_testing_app(default=False)
    assert record.age_days(datetime.now(UTC)) is None


@pytest.mark.parametrize(
    ("status", "deployed", "testing"),
    [("", True, True), ("", False, False), ("production", True, False), ("testing", False, True)],
)
def test_a_stored_status_wins_and_none_leaves_it_to_the_deployment(
    status: str, deployed: bool, testing: bool
) -> None:
    authorized = json.dumps({"refresh_token": "r", "client_id": "c", "client_secret": "s", "token": "ya29.x"})
    stored = secret_value(authorized, datetime(2026, 5, 12, tzinfo=UTC), status)
    assert ("app_status" in json.loads(stored)) is bool(status)
    record = TokenRecord.parse(stored)
    assert record is not None
    assert record.is_testing_app(default=deployed) is testing


def test_credentials_use_the_token_uri_override() -> None:
    record = TokenRecord.parse(
        '{"refresh_token": "r", "client_id": "c", "client_secret": "s", '
        '"token_uri": "https://oauth2.googleapis.com/token"}'
    )
    assert record is not None
    assert record.credentials("http://127.0.0.1:9/token").token_uri == "http://127.0.0.1:9/token"
    assert record.credentials().token_uri == "https://oauth2.googleapis.com/token"
