"""`jada tasks list` (newest first, 20 a page): items DynamoDB reads (what it bills) and time,
for the `by_created` index against the alternatives, at several table sizes, in moto.

- `by_created` query: the index chosen (catalog, created_key), ScanIndexForward=False, Limit.
- `by_status` merge: one Query per status; `by_status` sorts by rank (priority, then age), not by
  creation time, so every item of every status must be read to find the newest 20.
- scan: a table Scan, sorted in memory.
Task items carry a 2 KB prompt (typical); DynamoDB bills reads by item size, so items read is
the figure that matters (moto's times only hint at it).

    .venv/bin/python tests/benchmarks/bench_task_list.py
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

SIZES = (105, 1000, 3000)
PAGE = 20
NOW = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)


def by_created(store: Any) -> list[str]:
    return [t.task_id for t in store.list_newest(PAGE).tasks]


def by_created_blocked(store: Any) -> list[str]:
    from jada.lifecycle import TaskStatus

    return [t.task_id for t in store.list_newest(PAGE, status=TaskStatus.BLOCKED).tasks]


def by_status_merge(store: Any) -> list[str]:
    from boto3.dynamodb.conditions import Key
    from jada.lifecycle import TaskStatus
    from jada.stores.tasks import BY_STATUS_INDEX

    found: list[dict[str, Any]] = []
    for status in TaskStatus:
        condition = Key("status").eq(status.value)
        found += list(store.query_all(IndexName=BY_STATUS_INDEX, KeyConditionExpression=condition))
    found.sort(key=lambda i: i["created_key"], reverse=True)
    return [i["task_id"] for i in found[:PAGE]]


def scan(store: Any) -> list[str]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = store.table.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
    items.sort(key=lambda i: i["created_key"], reverse=True)
    return [i["task_id"] for i in items[:PAGE]]


WAYS: dict[str, Callable[[Any], list[str]]] = {
    "by_created query": by_created,
    "by_created blocked": by_created_blocked,
    "by_status merge": by_status_merge,
    "scan": scan,
}


def fill(store: Any, size: int) -> None:
    from jada.clock import iso
    from jada.lifecycle import TaskStatus
    from jada.models import Task

    statuses = list(TaskStatus)
    with store.table.batch_writer() as batch:
        for i in range(size):
            stamp = iso(NOW + timedelta(seconds=i))
            task = Task(task_id=f"t{i:05d}", title=f"task {i}", prompt="x" * 2000,
                        status=statuses[i % len(statuses)], created_at=stamp, updated_at=stamp,
                        ready_at=stamp)  # fmt: skip
            batch.put_item(Item=store._item(task))  # the item create() writes, batched for speed


def measure() -> list[dict[str, Any]]:
    import boto3
    from jada.stores import schema
    from jada.stores.tasks import TaskStore
    from moto import mock_aws

    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    rows = []
    for size in SIZES:
        with mock_aws():
            boto3.client("dynamodb").create_table(**schema.TASKS.create_kwargs("tasks"))
            store = TaskStore("tasks", boto3.resource("dynamodb").Table("tasks"))
            fill(store, size)
            scanned: list[int] = []

            def count(parsed: dict[str, Any], scanned: list[int] = scanned, **_: Any) -> None:
                scanned.append(parsed["ScannedCount"])

            events = store.table.meta.client.meta.events
            for op in ("Query", "Scan"):
                events.register(f"after-call.dynamodb.{op}", count)
            for name, way in WAYS.items():
                scanned.clear()
                started = time.perf_counter()
                newest = way(store)
                ms = (time.perf_counter() - started) * 1000
                rows.append({"tasks": size, "way": name, "items_read": sum(scanned), "requests": len(scanned),
                             "ms": round(ms), "first": newest[0] if newest else None})  # fmt: skip
    return rows


def main() -> None:
    print(f"{'tasks':>6}  {'way':<19} {'items read':>10} {'requests':>8} {'ms (moto)':>9}  newest")
    for r in measure():
        figures = f"{r['items_read']:>10} {r['requests']:>8} {r['ms']:>9}"
        print(f"{r['tasks']:>6}  {r['way']:<19} {figures}  {r['first']}")


if __name__ == "__main__":
    main()
