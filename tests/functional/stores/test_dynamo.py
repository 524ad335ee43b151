"""TableStore.query_all: the one pagination loop every store reads through."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from jada.stores._dynamo import TableStore
from jada.stores.schema import SHEET


@pytest.fixture
def store(moto_aws: None) -> TableStore:
    # Given 7 items under one partition key
    boto3.client("dynamodb").create_table(**SHEET.create_kwargs("paged"))
    store = TableStore("paged")
    for i in range(7):
        store.table.put_item(Item={"pk": "p", "sk": f"{i:02d}"})
    store.table.put_item(Item={"pk": "other", "sk": "00"})
    return store


def query(store: TableStore, limit: int | None = None) -> list[str]:
    # Limit=2 per page forces several pages
    items = store.query_all(KeyConditionExpression=Key("pk").eq("p"), Limit=2, limit=limit)
    return [item["sk"] for item in items]


def test_every_page_is_read_in_order(store: TableStore, dynamo_ops: Any) -> None:
    log = dynamo_ops(store.table)
    assert query(store) == ["00", "01", "02", "03", "04", "05", "06"]
    assert log.operations == ["Query"] * 4


def test_no_page_is_read_beyond_the_limit(store: TableStore, dynamo_ops: Any) -> None:
    log = dynamo_ops(store.table)
    assert query(store, limit=3) == ["00", "01", "02"]
    assert log.operations == ["Query"] * 2


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_below_one_reads_nothing(store: TableStore, dynamo_ops: Any, limit: int) -> None:
    log = dynamo_ops(store.table)
    assert query(store, limit=limit) == []
    assert log.operations == []


def test_a_limit_above_the_count_returns_everything(store: TableStore) -> None:
    assert len(query(store, limit=100)) == 7
