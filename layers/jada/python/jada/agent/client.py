"""The Anthropic client factory.

The API key comes from Secrets Manager (Powertools Parameters, cached) via `ANTHROPIC_SECRET_ID`.
For local runs `ANTHROPIC_API_KEY` / `ANTHROPIC_BASE_URL` win. The SDK's own retries are off:
it sleeps `retry-after` without a cap, so `model_call` retries once (capped) and the state
machine's backoff governs the rest. Never log the key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jada import redaction
from jada.errors import ConfigurationError
from jada.settings import Resources

SDK_MAX_RETRIES = 0
DEFAULT_TIMEOUT_S = 300.0
SECRET_MAX_AGE_S = 300
#: a placeholder key for a local fake that does not check keys
LOCAL_PLACEHOLDER_KEY = "local-no-key"


def api_key(resources: Resources, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if env.get("ANTHROPIC_API_KEY"):
        return env["ANTHROPIC_API_KEY"]
    if resources.anthropic_secret_id:
        return _key_from_secret(resources.anthropic_secret_id)
    if env.get("ANTHROPIC_BASE_URL"):
        return LOCAL_PLACEHOLDER_KEY
    raise ConfigurationError("no Anthropic API key: set ANTHROPIC_SECRET_ID (or ANTHROPIC_API_KEY locally)")


def _key_from_secret(secret_id: str) -> str:
    from aws_lambda_powertools.utilities import parameters

    redaction.install()  # botocore logs the secret's value at DEBUG
    value = parameters.get_secret(secret_id, max_age=SECRET_MAX_AGE_S)
    raw = value.decode() if isinstance(value, bytes) else str(value)
    raw = raw.strip()
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ConfigurationError(f"secret {secret_id} is not valid JSON") from exc
        raw = str(data.get("api_key") or data.get("ANTHROPIC_API_KEY") or "")
    if not raw:
        raise ConfigurationError(f"secret {secret_id} holds no Anthropic API key")
    return raw


def build_client(resources: Resources, environ: Mapping[str, str] | None = None) -> Any:
    """A real `anthropic.Anthropic`, reused across invocations of a warm container."""
    env = os.environ if environ is None else environ
    return _client(api_key(resources, env), env.get("ANTHROPIC_BASE_URL") or None)


@lru_cache(maxsize=4)
def _client(key: str, base_url: str | None) -> Any:
    from anthropic import Anthropic

    return Anthropic(api_key=key, base_url=base_url, max_retries=SDK_MAX_RETRIES, timeout=DEFAULT_TIMEOUT_S)


def reset() -> None:
    """Forget cached clients (tests switch servers between runs)."""
    _client.cache_clear()
