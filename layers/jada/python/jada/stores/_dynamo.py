"""Small helpers shared by the DynamoDB stores."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON data to a DynamoDB item (floats as Decimal, None values dropped at top level)."""
    clean = {k: v for k, v in data.items() if v is not None}
    result: dict[str, Any] = json.loads(json.dumps(clean), parse_float=Decimal)
    return result


def from_item(value: Any) -> Any:
    """A DynamoDB item back to plain JSON types (Decimal to int or float)."""
    if isinstance(value, dict):
        return {k: from_item(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [from_item(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def is_condition_failure(exc: ClientError) -> bool:
    code = exc.response.get("Error", {}).get("Code", "")
    return code in {"ConditionalCheckFailedException", "TransactionCanceledException"}
