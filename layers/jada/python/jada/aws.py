"""boto3 clients and resources, created lazily and cached (never at import time).

`AWS_ENDPOINT_URL` (honoured by botocore itself) points every client at another endpoint,
e.g. moto in server mode.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as SdkConnectionError

#: error codes of requests worth sending again later (throttling, the service's own failures)
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "TooManyRequestsException",
        "SlowDown",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)


@cache
def client(service: str) -> Any:
    return boto3.client(service)  # type: ignore[call-overload]


@cache
def table(name: str) -> Any:
    return boto3.resource("dynamodb").Table(name)


def transient_failure(exc: BaseException) -> BaseException | None:
    """The AWS error behind `exc` (or in its chain) if it passes with time: a lost connection, a
    read timeout, throttling or a 5xx after the SDK's own retries; None for anything else."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, HTTPClientError | SdkConnectionError):
            return seen
        if isinstance(seen, ClientError):
            error = seen.response.get("Error", {})
            status = int(seen.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            return seen if error.get("Code") in TRANSIENT_CODES or status >= 500 else None
        seen = seen.__cause__ or seen.__context__
    return None


def reset() -> None:
    """Forget cached clients (tests and the local cloud switch backends between runs)."""
    client.cache_clear()
    table.cache_clear()
