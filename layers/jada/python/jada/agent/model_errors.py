"""SDK exceptions mapped to jada's named errors (the Step Functions Retry/Catch contract)."""

from __future__ import annotations

from typing import Any

from jada.errors import (
    JadaError,
    ModelAuthFailed,
    ModelRateLimited,
    ModelRequestRejected,
    ModelUnavailable,
    SpendLimitReached,
)

#: the longest `retry-after` we honour inside a Lambda (seconds)
RETRY_AFTER_CAP_S = 10.0
SPEND_LIMIT_CODES = frozenset(
    {
        "enforced_spend_limit_reached",
        "contract_spend_limit_reached",
        "linked_organization_spend_limit_reached",
    }
)


def to_jada_error(exc: Exception) -> JadaError:
    """The named error for an `anthropic` exception (anything else: ModelUnavailable)."""
    import anthropic

    status = getattr(exc, "status_code", None)
    details: dict[str, Any] = {
        "status": status,
        "type": getattr(exc, "type", None),
        "request_id": getattr(exc, "request_id", None),
    }
    api_message = getattr(exc, "api_message", None) or getattr(exc, "message", None) or str(exc)
    what = f"Messages API {status or type(exc).__name__}: {api_message}"
    if getattr(exc, "error_code", None) in SPEND_LIMIT_CODES or status == 402:
        return SpendLimitReached(what, **details)
    if isinstance(exc, anthropic.RateLimitError):
        return ModelRateLimited(what, retry_after=retry_after_s(exc), **details)
    if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return ModelAuthFailed(what, **details)
    if isinstance(exc, anthropic.InternalServerError | anthropic.APIConnectionError):
        return ModelUnavailable(what, **details)
    if isinstance(exc, anthropic.APIStatusError) and status in {408, 409}:
        return ModelUnavailable(what, **details)
    if isinstance(exc, anthropic.APIStatusError):
        return ModelRequestRejected(what, **details)
    return ModelUnavailable(what, **details)


def retry_after_s(exc: Any) -> float:
    """The server's `retry-after` (or `retry-after-ms`), capped at RETRY_AFTER_CAP_S."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    seconds = 1.0
    try:
        if headers.get("retry-after-ms"):
            seconds = float(headers["retry-after-ms"]) / 1000
        elif headers.get("retry-after"):
            seconds = float(headers["retry-after"])
    except ValueError:
        seconds = 1.0
    return max(0.0, min(seconds, RETRY_AFTER_CAP_S))
