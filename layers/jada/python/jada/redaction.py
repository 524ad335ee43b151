"""Secret values kept out of every log record of the process.

Some libraries log what they send at DEBUG (the anthropic SDK logs a request's JSON body, which
carries MCP servers' `authorization_token`). A secret registered with `protect` is replaced by
`[redacted]` in the message of every log record created after that, whichever logger made it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

REDACTED = "[redacted]"
#: shorter values are not secrets worth redacting (and would mangle ordinary text)
MIN_SECRET_CHARS = 8

_secrets: set[str] = set()
_lock = threading.Lock()
_state = {"installed": False}


def protect(secret: str) -> str:
    """Register `secret` for redaction from log records; returns it unchanged."""
    if len(secret) < MIN_SECRET_CHARS:
        return secret
    with _lock:
        _secrets.add(secret)
        if not _state["installed"]:
            _install()
            _state["installed"] = True
    return secret


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def _install() -> None:
    make = logging.getLogRecordFactory()

    def record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made = make(*args, **kwargs)
        if not _secrets:
            return made
        try:
            message = made.getMessage()
        except Exception:  # a malformed record is left for logging's own error handling
            return made
        cleaned = redact(message)
        if cleaned != message:
            made.msg, made.args = cleaned, None
        return made

    logging.setLogRecordFactory(record)
