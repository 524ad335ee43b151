"""The runnable queue, read without the task model: the poll's idle path (one Query, nothing else
imported: no pydantic), and the first step of `TaskStore.runnable`.

The `runnable` index is sparse: only pending and suspended tasks carry `queue`, so every runnable
task is found with one Query (suspended ones filtered on `ready_at`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from jada.clock import iso
from jada.stores import schema
from jada.stores._dynamo import TableStore

RUNNABLE_INDEX = schema.TASKS.indexes[1].name
RUNNABLE_QUEUE = "runnable"
#: runnable tasks one poll looks at
POLL_BATCH = 50


class RunnableQueue(TableStore):
    def items(self, now: datetime, limit: int = POLL_BATCH) -> list[dict[str, Any]]:
        """Pending tasks and suspended tasks that are due, best first, as stored."""
        return list(
            self.query_all(
                IndexName=RUNNABLE_INDEX,
                KeyConditionExpression=Key("queue").eq(RUNNABLE_QUEUE),
                FilterExpression=Attr("ready_at").lte(iso(now)),
                limit=limit,
            )
        )
