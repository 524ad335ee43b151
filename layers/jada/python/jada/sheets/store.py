"""The sheet table: mirrored rows (pk `row`, sk = key) and the sync runs (pk `sync`, sk `run#<time>`).

Rows are never deleted: a row that left the sheet gets `deleted_at` (a tombstone) and keeps its data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from jada.clock import epoch, iso
from jada.sheets.mirror import MirrorPlan, StoredRow
from jada.stores._dynamo import TableStore, from_item, to_item

ROW, SYNC = "row", "sync"
RUN_PREFIX = "run#"


class SheetStore(TableStore):
    # --- rows ---------------------------------------------------------------------------------
    def stored_rows(self) -> dict[str, StoredRow]:
        """Key -> (hash, tombstoned) of every mirrored row: what a sync compares against."""
        items = self.query_all(
            KeyConditionExpression=Key("pk").eq(ROW),
            ProjectionExpression="sk, row_hash, deleted_at",
        )
        return {i["sk"]: StoredRow(hash=i.get("row_hash", ""), deleted="deleted_at" in i) for i in items}

    def rows(self, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """The mirrored rows as `{"key", "row", "data", ...}` (for readers such as an agent tool)."""
        items = (from_item(i) for i in self.query_all(KeyConditionExpression=Key("pk").eq(ROW)))
        return [
            {
                "key": i["sk"],
                "row": i.get("row"),
                "data": i.get("data", {}),
                "synced_at": i.get("synced_at"),
                "deleted_at": i.get("deleted_at"),
            }
            for i in items
            if include_deleted or "deleted_at" not in i
        ]

    def apply(self, plan: MirrorPlan, now: datetime) -> None:
        """Write changed rows in batches (25 per request) and tombstone removed ones."""
        stamp = iso(now)
        with self.table.batch_writer() as batch:
            for row in plan.upserts:
                batch.put_item(
                    Item={
                        "pk": ROW,
                        "sk": row.key,
                        "row": row.number,
                        "data": row.data,
                        "row_hash": row.hash,
                        "synced_at": stamp,
                    }
                )
        for key in plan.tombstones:
            self.table.update_item(
                Key={"pk": ROW, "sk": key},
                UpdateExpression="SET deleted_at = :now",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":now": stamp},
            )

    # --- sync runs ----------------------------------------------------------------------------
    def record_run(self, run: dict[str, Any], now: datetime) -> None:
        item = to_item({**run, "pk": SYNC, "sk": f"{RUN_PREFIX}{iso(now)}"})
        item["expires_at"] = epoch(now + self.retention)
        self.table.put_item(Item=item)

    def last_runs(self, limit: int = 10) -> list[dict[str, Any]]:
        page = self.table.query(
            KeyConditionExpression=Key("pk").eq(SYNC) & Key("sk").begins_with(RUN_PREFIX),
            ScanIndexForward=False,
            Limit=limit,
        )
        runs = [from_item(i) for i in page.get("Items", [])]
        for run in runs:
            for name in ("pk", "sk", "expires_at"):
                run.pop(name, None)
        return runs

    def run_outcomes(self, limit: int) -> list[dict[str, Any]]:
        """The newest runs' `at`, `outcome`, `reason` and `error_code`, newest first (one Query)."""
        page = self.table.query(
            KeyConditionExpression=Key("pk").eq(SYNC) & Key("sk").begins_with(RUN_PREFIX),
            ProjectionExpression="#at, outcome, reason, error_code",
            ExpressionAttributeNames={"#at": "at"},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [from_item(i) for i in page.get("Items", [])]
