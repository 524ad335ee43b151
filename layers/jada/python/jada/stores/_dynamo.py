"""Small helpers shared by the DynamoDB stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from botocore.exceptions import ClientError

from jada import aws


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON data to a DynamoDB item (floats as Decimal, None values dropped at top level)."""
    return {k: to_value(v) for k, v in data.items() if v is not None}


def to_value(value: Any) -> Any:
    """A plain value as boto3 stores it: floats as Decimal (boto3 refuses float), map keys as
    strings, tuples as lists (as a JSON round trip would); sets stay sets (for ADD)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {str(k): to_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_value(v) for v in value]
    return value


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

    def query_all(self, *, limit: int | None = None, **query: Any) -> Iterator[dict[str, Any]]:
        """The items of a Query, page after page, as stored; no page is read beyond `limit` items."""
        items = (item for page in self._pages(query) for item in page.get("Items", []))
        return islice(items, None if limit is None else max(limit, 0))

    def _pages(self, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            page: dict[str, Any] = self.table.query(**query)
            yield page
            if "LastEvaluatedKey" not in page:
                return
            query = {**query, "ExclusiveStartKey": page["LastEvaluatedKey"]}
