"""One Messages API call, with one capped in-Lambda retry for rate limits and outages."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from jada.agent.client import DEFAULT_TIMEOUT_S
from jada.agent.model_errors import to_jada_error
from jada.errors import ModelRateLimited, ModelUnavailable

#: in-Lambda retries after the first attempt (the state machine retries beyond this)
RETRIES = 1
BACKOFF_S = 2.0
#: seconds kept back after a call for tools and the checkpoint write
RESERVE_S = 10.0
#: a call (or a retry) starts only if it can have at least this many seconds
MIN_CALL_S = 20.0


def can_start_call(remaining_s: float) -> bool:
    return remaining_s - RESERVE_S >= MIN_CALL_S


def call_timeout(remaining_s: float) -> float:
    return max(1.0, min(DEFAULT_TIMEOUT_S, remaining_s - RESERVE_S))


def create_message(
    client: Any,
    request: dict[str, Any],
    *,
    remaining_s: Callable[[], float],
    sleep: Callable[[float], None] = time.sleep,
    retries: int = RETRIES,
) -> Any:
    """`client.messages.create(**request)` (`client.beta.messages` for a request with `betas`);
    SDK errors become jada's named errors."""
    import anthropic

    api = client.beta.messages if request.get("betas") else client.messages
    attempt = 0
    while True:
        try:
            return api.create(**request, timeout=call_timeout(remaining_s()))
        except anthropic.AnthropicError as exc:
            error = to_jada_error(exc)
            if not isinstance(error, ModelRateLimited | ModelUnavailable) or attempt >= retries:
                raise error from exc
            delay = float(error.details.get("retry_after") or BACKOFF_S * 2**attempt)
            if not can_start_call(remaining_s() - delay):
                raise error from exc
            sleep(delay)
            attempt += 1
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:  # the SDK's json.loads of the body
            raise ModelUnavailable(f"the Messages API sent a reply that is not JSON: {exc}") from exc
