"""Small helpers shared by the DynamoDB stores."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from jada import aws


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


class TableStore:
    """A store backed by one DynamoDB table, created lazily (injectable for tests)."""

    def __init__(self, table_name: str, table: Any = None, retention_days: int = 30) -> None:
        self.table_name = table_name
        self._table = table
        self.retention = timedelta(days=retention_days)

    @property
    def table(self) -> Any:
        if self._table is None:
            self._table = aws.table(self.table_name)
        return self._table
