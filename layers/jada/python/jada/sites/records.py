"""The deploys table: one record per deploy (stored as its plan before anything is published, then
marked published), and the approval requests of sites that wait for the operator.

Keys: a deploy `pk = site#<site>`, `sk = deploy#<deploy id>` (the id derives from the tool_use id,
so a retried call finds its own plan); an approval request `pk = approval#<task id>`,
`sk = site#<site>`. Records are kept (they are the site's history and what a rollback publishes);
approval requests expire with the retention period.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from jada.clock import epoch
from jada.errors import SiteTooLarge
from jada.stores._dynamo import TableStore, is_condition_failure

#: a record's JSON stays well below DynamoDB's 400 KB item limit
MAX_RECORD_BYTES = 350 * 1024


class Upload(BaseModel):
    path: str
    #: the workspace version published (None in an unversioned bucket)
    version_id: str | None
    sha256: str
    size: int
    content_type: str
    cache_control: str


class DeployRecord(BaseModel):
    site: str
    deploy_id: str
    kind: Literal["deploy", "rollback"] = "deploy"
    status: Literal["planned", "published"] = "planned"
    #: what started it: the tool_use id of a deploy_site call, or `cli:<token>`
    origin: str
    task_id: str | None = None
    session: int | None = None
    #: when it was planned; `published_at` once every step is done
    at: str
    published_at: str | None = None
    uploads: list[Upload] = Field(default_factory=list)
    #: removed files: path -> the live size it had
    deletes: dict[str, int] = Field(default_factory=dict)
    invalidation_paths: list[str] = Field(default_factory=list)
    invalidation_id: str | None = None
    #: the diff's content hash (what an approval was bound to)
    digest: str = ""
    #: every file the site has after this deploy: path -> [workspace version id, ETag]
    files: dict[str, list[str]] = Field(default_factory=dict)
    #: a rollback: the deploy whose files it published again
    rolled_back_to: str | None = None

    @property
    def caller_reference(self) -> str:
        """The CloudFront invalidation's CallerReference (one per deploy)."""
        return f"jada-{self.deploy_id}"

    @property
    def bytes_uploaded(self) -> int:
        return sum(u.size for u in self.uploads)


class ApprovalRequest(BaseModel):
    task_id: str
    site: str
    #: the digest of the diff the operator was asked about
    digest: str
    asked_at: str
    tool_use_id: str


def _site_pk(site: str) -> str:
    return f"site#{site}"


def _deploy_sk(deploy_id: str) -> str:
    return f"deploy#{deploy_id}"


class DeployStore(TableStore):
    # --- deploys ------------------------------------------------------------------------------
    def create(self, record: DeployRecord) -> tuple[DeployRecord, bool]:
        """Store a new plan; (the stored record, True) or, when one with its id exists already
        (a retried call), (that one, False)."""
        item = self._item(record)
        try:
            self.table.put_item(Item=item, ConditionExpression=Attr("pk").not_exists())
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            existing = self.get(record.site, record.deploy_id)
            if existing is not None:
                return existing, False
            raise
        return record, True

    def save(self, record: DeployRecord) -> None:
        self.table.put_item(Item=self._item(record))

    def get(self, site: str, deploy_id: str) -> DeployRecord | None:
        item = self.table.get_item(
            Key={"pk": _site_pk(site), "sk": _deploy_sk(deploy_id)}, ConsistentRead=True
        ).get("Item")
        return DeployRecord.model_validate_json(str(item["body"])) if item else None

    def history(self, site: str) -> list[DeployRecord]:
        """Every deploy of the site, oldest first."""
        items = self.query_all(
            KeyConditionExpression=Key("pk").eq(_site_pk(site)) & Key("sk").begins_with("deploy#"),
            ConsistentRead=True,
        )
        records = [DeployRecord.model_validate_json(str(item["body"])) for item in items]
        return sorted(records, key=lambda r: (r.at, r.deploy_id))

    def unfinished(self, site: str) -> list[DeployRecord]:
        return [r for r in self.history(site) if r.status == "planned"]

    @staticmethod
    def _item(record: DeployRecord) -> dict[str, str]:
        body = record.model_dump_json()
        if len(body.encode()) > MAX_RECORD_BYTES:
            raise SiteTooLarge(
                f"the deploy of {record.site} lists {len(record.files)} files, too many for one record "
                f"({len(body.encode()):,} bytes, limit {MAX_RECORD_BYTES:,})",
                site=record.site,
            )
        return {
            "pk": _site_pk(record.site), "sk": _deploy_sk(record.deploy_id), "at": record.at,
            "status": record.status, "body": body,
        }  # fmt: skip

    # --- approval requests --------------------------------------------------------------------
    def ask(self, request: ApprovalRequest, now: datetime) -> None:
        self.table.put_item(
            Item={
                "pk": f"approval#{request.task_id}",
                "sk": _site_pk(request.site),
                "body": request.model_dump_json(),
                "expires_at": epoch(now + self.retention),
            }
        )

    def approval(self, task_id: str, site: str) -> ApprovalRequest | None:
        item = self.table.get_item(
            Key={"pk": f"approval#{task_id}", "sk": _site_pk(site)}, ConsistentRead=True
        ).get("Item")
        return ApprovalRequest.model_validate(json.loads(str(item["body"]))) if item else None

    def forget_approval(self, task_id: str, site: str) -> None:
        self.table.delete_item(Key={"pk": f"approval#{task_id}", "sk": _site_pk(site)})
