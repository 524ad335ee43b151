"""Key schemas of jada's tables: one source for the CDK app and for provisioning in tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class IndexSpec:
    name: str
    pk: str
    sk: str | None = None


@dataclass(frozen=True)
class TableSpec:
    pk: str
    sk: str | None = None
    indexes: tuple[IndexSpec, ...] = field(default_factory=tuple)

    def create_kwargs(self, name: str) -> dict[str, Any]:
        """Arguments for boto3 `create_table` (strings only, on-demand)."""
        attributes = {self.pk, *([self.sk] if self.sk else [])}
        for index in self.indexes:
            attributes |= {index.pk, *([index.sk] if index.sk else [])}

        def keys(pk: str, sk: str | None) -> list[dict[str, str]]:
            return [{"AttributeName": pk, "KeyType": "HASH"}] + (
                [{"AttributeName": sk, "KeyType": "RANGE"}] if sk else []
            )

        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": keys(self.pk, self.sk),
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if self.indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {"IndexName": i.name, "KeySchema": keys(i.pk, i.sk), "Projection": {"ProjectionType": "ALL"}}
                for i in self.indexes
            ]
        return kwargs


TASKS = TableSpec(
    pk="task_id",
    indexes=(
        IndexSpec("by_status", "status", "rank"),
        IndexSpec("runnable", "queue", "rank"),
        #: every task (`catalog` is the same on all): newest or oldest first, pageable
        IndexSpec("by_created", "catalog", "created_key"),
    ),
)
COUNTERS = TableSpec(pk="pk")
CHECKPOINTS = TableSpec(pk="task_id", sk="turn_key")
#: the mirrored port sheet: rows (pk "row", sk = key), sync runs (pk "sync", sk "run#<time>")
SHEET = TableSpec(pk="pk", sk="sk")
#: deploy_site's records (pk "site#<site>", sk "deploy#<id>") and approval requests
#: (pk "approval#<task id>", sk "site#<site>")
DEPLOYS = TableSpec(pk="pk", sk="sk")
