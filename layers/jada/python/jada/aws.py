"""boto3 clients and resources, created lazily and cached (never at import time).

`AWS_ENDPOINT_URL` (honoured by botocore itself) points every client at another endpoint,
e.g. moto in server mode.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3


@cache
def client(service: str) -> Any:
    return boto3.client(service)  # type: ignore[call-overload]


@cache
def table(name: str) -> Any:
    return boto3.resource("dynamodb").Table(name)


def reset() -> None:
    """Forget cached clients (tests and the local cloud switch backends between runs)."""
    client.cache_clear()
    table.cache_clear()
