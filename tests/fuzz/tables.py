"""Every item of some DynamoDB tables (moto), and putting them back as they were.

A fuzz property compares a table before and after a command; restoring the snapshot after each
example keeps the tables small (so scans stay cheap) and makes every example start from one state."""

from __future__ import annotations

import json
from typing import Any

from jada import aws

#: table -> {key as JSON: item as JSON}, in DynamoDB's typed form
Snapshot = dict[str, dict[str, str]]


def _key_names(table: str) -> list[str]:
    schema = aws.client("dynamodb").describe_table(TableName=table)["Table"]["KeySchema"]
    return [part["AttributeName"] for part in schema]


def snapshot(tables: list[str]) -> Snapshot:
    ddb = aws.client("dynamodb")
    state: Snapshot = {}
    for table in tables:
        names = _key_names(table)
        items: dict[str, str] = {}
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                items[json.dumps({n: item[n] for n in names}, sort_keys=True)] = json.dumps(
                    item, sort_keys=True
                )
        state[table] = items
    return state


def restore(before: Snapshot, after: Snapshot) -> None:
    """Delete what `after` added, put back what it changed or removed."""
    ddb = aws.client("dynamodb")
    for table, items in after.items():
        old = before[table]
        for key, item in items.items():
            if key not in old:
                ddb.delete_item(TableName=table, Key=json.loads(key))
            elif old[key] != item:
                ddb.put_item(TableName=table, Item=_item(old[key]))
        for key in old.keys() - items.keys():
            ddb.put_item(TableName=table, Item=_item(old[key]))


def _item(text: str) -> dict[str, Any]:
    item: dict[str, Any] = json.loads(text)
    return item
