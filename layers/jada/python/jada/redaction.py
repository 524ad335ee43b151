"""Secret values kept out of every log record of the process.

Libraries log what they send and receive at DEBUG: botocore logs a GetSecretValue response body
(its `SecretString`), the anthropic SDK a request's JSON body (an MCP server's
`authorization_token`). Once `install()` has run (before a secret is first read), every log
record's message is cleaned as it is created, whichever logger made it: the values of secret-bearing
keys (SECRET_KEYS) are replaced by `[redacted]`, and so is every value registered with `protect`.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

REDACTED = "[redacted]"
#: shorter values are not secrets worth redacting (and would mangle ordinary text)
MIN_SECRET_CHARS = 8
#: keys whose values are secrets wherever they appear in a logged body (JSON or a Python repr)
SECRET_KEYS = (
    "SecretString",
    "SecretBinary",
    "authorization_token",
    "refresh_token",
    "access_token",
    "client_secret",
    "api_key",
)
_KEYS = "|".join(SECRET_KEYS)
_KEYED = re.compile(
    rf"""(?P<key>["'](?:{_KEYS})["']\s*:\s*)(?P<q>["'])(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)"""
)

_secrets: set[str] = set()
_lock = threading.Lock()
_state = {"installed": False}


def protect(secret: str) -> str:
    """Register `secret` for redaction from log records (installing the redaction); returns it."""
    install()
    if len(secret) >= MIN_SECRET_CHARS:
        with _lock:
            _secrets.add(secret)
    return secret


def redact(text: str) -> str:
    if any(key in text for key in SECRET_KEYS):
        text = _KEYED.sub(lambda m: f"{m['key']}{m['q']}{REDACTED}{m['q']}", text)
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def install() -> None:
    """Clean every log record created from now on (idempotent)."""
    with _lock:
        if _state["installed"]:
            return
        _state["installed"] = True
    make = logging.getLogRecordFactory()

    def record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made = make(*args, **kwargs)
        try:
            message = made.getMessage()
        except Exception:  # a malformed record is left for logging's own error handling
            return made
        cleaned = redact(message)
        if cleaned != message:
            made.msg, made.args = cleaned, None
        return made

    logging.setLogRecordFactory(record)
