"""Checkpoint store: a session's conversation, one DynamoDB item per turn (append-only).

Bytes written per turn are the turn's own messages, not the transcript so far. A turn whose
encoded size exceeds OFFLOAD_BYTES goes to S3 and the item keeps a pointer and a SHA-256.
Key: `task_id` (partition), `turn_key` = `s0001#t0001` (sort), so a task's turns load in order.

Retention: a turn is written to expire `retention` after its write (a session never lasts that
long, and a lost session end cannot keep it forever). When the session ends, the task's turns are
settled by its status: a parked task (blocked, suspended) `keep`s them with no expiry, however long
it waits; a finished one (done, failed, cancelled) `release`s them to expire `retention` after it
finished, and its S3 objects are deleted (their data versions expire as long after, by the bucket's
lifecycle). `jada tasks retry` keeps a failed task's history again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from pydantic import ValidationError

from jada import aws
from jada.clock import epoch
from jada.errors import CheckpointConflict, CheckpointCorrupt, CheckpointMissing
from jada.models import TurnRecord
from jada.stores._dynamo import TableStore, from_item, is_condition_failure
from jada.stores.expressions import Update

OFFLOAD_BYTES = 350 * 1024
#: sort-key prefix of turn items (`r...` replies keep the expiry they are written with)
TURN_PREFIX = "s"


def turn_key(session: int, turn: int) -> str:
    return f"s{session:04d}#t{turn:04d}"


#: the bucket's key prefix of every task's offloaded turns
OBJECTS_PREFIX = "checkpoints/"


def object_prefix(task_id: str) -> str:
    """Where a task's offloaded turns live in the bucket."""
    return f"{OBJECTS_PREFIX}{task_id}/"


def reply_key(session: int, turn: int) -> str:
    """Key of a model reply stored before its tools run (sorts apart from the `s...` turns)."""
    return f"r{session:04d}#t{turn:04d}"


def tool_result_key(session: int, turn: int, tool_use_id: str = "") -> str:
    """Key of one tool call's result, stored as soon as the tool returns (`x...`, apart from turns)."""
    return f"x{session:04d}#t{turn:04d}#{tool_use_id}"


class CheckpointStore(TableStore):
    def __init__(
        self,
        table_name: str,
        bucket: str,
        *,
        table: Any = None,
        s3: Any = None,
        retention_days: int = 30,
    ) -> None:
        super().__init__(table_name, table, retention_days)
        self.bucket = bucket
        self._s3 = s3

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = aws.client("s3")
        return self._s3

    def append(self, record: TurnRecord, now: datetime, *, together: dict[str, Any] | None = None) -> int:
        """Store one turn. Returns the bytes written (DynamoDB item payload, plus S3 if offloaded).
        Writing the same turn twice with the same content is a no-op; different content conflicts.
        `together`: a transaction item (another table's update) written with the turn, or not at
        all; when only it is refused, the turn is stored alone."""
        body = record.model_dump_json().encode()
        digest = hashlib.sha256(body).hexdigest()
        key = turn_key(record.session, record.turn)
        item: dict[str, Any] = {
            "task_id": record.task_id,
            "turn_key": key,
            "sha256": digest,
            "expires_at": epoch(now + self.retention),
        }
        written = len(body)
        if len(body) > OFFLOAD_BYTES:
            # Content-addressed: a conflicting second writer can never overwrite the object the
            # stored item points to. The object is written before the item, so a crash between
            # the two leaves an orphan (expired by the bucket's lifecycle), never a dangling pointer.
            s3_key = f"{object_prefix(record.task_id)}{key.replace('#', '/')}-{digest[:16]}.json"
            self.s3.put_object(Bucket=self.bucket, Key=s3_key, Body=body, ContentType="application/json")
            item["s3_key"] = s3_key
            written = len(s3_key) + len(body)
        else:
            item["body"] = body.decode()
        try:
            if together is None or not self._put_with(item, together):
                self.table.put_item(Item=item, ConditionExpression=Attr("turn_key").not_exists())
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            existing = self.table.get_item(
                Key={"task_id": record.task_id, "turn_key": key}, ConsistentRead=True
            )["Item"]
            if existing.get("sha256") != digest:
                raise CheckpointConflict(
                    f"turn {record.turn} of session {record.session} of task {record.task_id} "
                    "is already stored with different content",
                    task_id=record.task_id,
                ) from exc
        return written

    def _put_with(self, item: dict[str, Any], together: dict[str, Any]) -> bool:
        """Put `item` (if new) and apply `together` in one transaction (the table resource's client
        types plain values). False when only `together` was refused; a refused put raises (a
        condition failure, as `put_item` would)."""
        put = {
            "TableName": self.table_name,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(turn_key)",
        }
        try:
            self.table.meta.client.transact_write_items(TransactItems=[{"Put": put}, together])
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if not is_condition_failure(exc) or not reasons:
                raise
            if reasons[0].get("Code") == "ConditionalCheckFailed":
                raise  # the turn is stored already
            if reasons[0].get("Code") not in (None, "None"):
                raise
            return False
        return True

    def save_reply(self, task_id: str, session: int, turn: int, reply: dict[str, Any], now: datetime) -> None:
        """Keep a model reply before its tool calls run, so a batch retried after a crash reuses
        it (same tool_use ids, so side effects derived from them happen once)."""
        body = json.dumps(reply, separators=(",", ":"))
        if len(body) > OFFLOAD_BYTES:
            return  # replies are bounded by max_tokens; an oversized one is simply not kept
        self.table.put_item(
            Item={
                "task_id": task_id,
                "turn_key": reply_key(session, turn),
                "body": body,
                "sha256": hashlib.sha256(body.encode()).hexdigest(),
                "expires_at": epoch(now + self.retention),
            }
        )

    def load_reply(self, task_id: str, session: int, turn: int) -> dict[str, Any] | None:
        item = self.table.get_item(
            Key={"task_id": task_id, "turn_key": reply_key(session, turn)}, ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        body = str(item.get("body", ""))
        if hashlib.sha256(body.encode()).hexdigest() != item.get("sha256"):
            return None  # a damaged reply is just called again
        result: dict[str, Any] = json.loads(body)
        return result

    def save_tool_result(
        self,
        task_id: str,
        session: int,
        turn: int,
        tool_use_id: str,
        result: dict[str, Any],
        *,
        now: datetime,
    ) -> None:
        """Keep a tool call's result the moment it returns: a batch retried after a crash reuses it
        instead of running the tool again."""
        body = json.dumps(result, separators=(",", ":"))
        if len(body) > OFFLOAD_BYTES:
            return  # only read-only tools (views) return that much; such a call is simply run again
        self.table.put_item(
            Item={
                "task_id": task_id,
                "turn_key": tool_result_key(session, turn, tool_use_id),
                "body": body,
                "sha256": hashlib.sha256(body.encode()).hexdigest(),
                "expires_at": epoch(now + self.retention),
            }
        )

    def load_tool_results(self, task_id: str, session: int, turn: int) -> dict[str, dict[str, Any]]:
        """The stored results of a turn's tool calls, by tool_use id (one Query)."""
        prefix = tool_result_key(session, turn)
        results: dict[str, dict[str, Any]] = {}
        condition = Key("task_id").eq(task_id) & Key("turn_key").begins_with(prefix)
        for item in self.query_all(KeyConditionExpression=condition, ConsistentRead=True):
            body = str(item.get("body", ""))
            if hashlib.sha256(body.encode()).hexdigest() == item.get("sha256"):
                results[str(item["turn_key"])[len(prefix) :]] = json.loads(body)
        return results

    def load_session(
        self, task_id: str, session: int, expected_turns: int | None = None, *, strict: bool = True
    ) -> list[TurnRecord]:
        """A session's turns in order. With `expected_turns` (the count the caller's state says
        ran), fewer stored turns raise CheckpointMissing: a lost last turn is not a gap.
        `strict=False` (readers such as the CLI) returns what is stored, gaps included."""
        records = self._load(task_id, Key("turn_key").begins_with(f"s{session:04d}#"), strict=strict)
        if expected_turns is not None and len(records) < expected_turns:
            raise CheckpointMissing(
                f"task {task_id} session {session}: {expected_turns} turns ran but {len(records)} are stored",
                task_id=task_id,
            )
        return records

    def load_task(self, task_id: str, *, strict: bool = True) -> list[TurnRecord]:
        """Every stored turn of a task, all sessions, in order (`strict`: as in `load_session`)."""
        return self._load(task_id, Key("turn_key").begins_with(TURN_PREFIX), strict=strict)

    # --- retention ------------------------------------------------------------------------------
    def release(self, task_id: str, finished_at: datetime) -> int:
        """A finished task's turns expire `retention` after `finished_at`; its S3 objects (orphans
        of a crashed write included) are deleted, their data kept as old versions that the bucket
        expires as long after. Safe to repeat (after a crash). Returns the turns stamped."""
        expires = epoch(finished_at + self.retention)
        stamped = sum(
            self._update_turn(task_id, item["turn_key"], Update().set("expires_at", expires))
            for item in self._turn_items(task_id)
            if item.get("expires_at") != expires
        )
        self._delete_objects(task_id)
        return stamped

    def keep(self, task_id: str, now: datetime, *, restore_objects: bool = True) -> int:
        """A task that may run again keeps its turns: their expiry is removed. A session with a turn
        already past its expiry (a failed task retried after the retention, or a turn written
        before this rule) is dropped whole instead, so no session is left with a gap.
        `restore_objects` also brings back the S3 objects that `release` deleted. Safe to repeat.
        Returns the turns changed."""
        items = self._turn_items(task_id)
        deadline = epoch(now)
        past = {
            _session_of(i["turn_key"])
            for i in items
            if "expires_at" in i and int(i["expires_at"]) <= deadline
        }
        changed = 0
        for item in items:
            key, s3_key = item["turn_key"], item.get("s3_key")
            if _session_of(key) in past:
                if s3_key:  # hidden, not erased: its data version expires by the bucket's lifecycle
                    self.s3.delete_object(Bucket=self.bucket, Key=str(s3_key))
                self.table.delete_item(Key={"task_id": task_id, "turn_key": key})
                changed += 1
                continue
            if restore_objects and s3_key:  # `release` hid it: bring it back
                self._restore_object(str(s3_key))
            if "expires_at" in item:
                changed += self._update_turn(task_id, key, Update().remove("expires_at"))
        return changed

    def _turn_items(self, task_id: str) -> list[dict[str, Any]]:
        return list(
            self.query_all(
                KeyConditionExpression=Key("task_id").eq(task_id) & Key("turn_key").begins_with(TURN_PREFIX),
                ProjectionExpression="turn_key, expires_at, s3_key",
                ConsistentRead=True,
            )
        )

    def _update_turn(self, task_id: str, key: str, update: Update) -> int:
        """1 if the turn was changed, 0 if it is gone (never re-creates an expired turn)."""
        try:
            self.table.update_item(
                Key={"task_id": task_id, "turn_key": key}, **update.when(Attr("turn_key").exists()).kwargs()
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            return 0
        return 1

    def _delete_objects(self, task_id: str) -> None:
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=object_prefix(task_id)
        )
        for page in pages:
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})

    def _restore_object(self, key: str) -> None:
        """Undo a delete on the versioned bucket: remove the delete marker that hides the data."""
        listed = self.s3.list_object_versions(Bucket=self.bucket, Prefix=key)
        for marker in listed.get("DeleteMarkers", []):
            if marker["Key"] == key and marker.get("IsLatest"):
                self.s3.delete_object(Bucket=self.bucket, Key=key, VersionId=marker["VersionId"])

    def _load(self, task_id: str, sort_condition: Any, *, strict: bool = True) -> list[TurnRecord]:
        items = self.query_all(
            KeyConditionExpression=Key("task_id").eq(task_id) & sort_condition, ConsistentRead=True
        )
        records = [self._decode(from_item(item)) for item in items]
        if strict:
            self._check_sequence(task_id, records)
        return records

    def _decode(self, item: dict[str, Any]) -> TurnRecord:
        where = f"checkpoint {item.get('task_id')}/{item.get('turn_key')}"
        if "s3_key" in item:
            try:
                body = self.s3.get_object(Bucket=self.bucket, Key=item["s3_key"])["Body"].read()
            except ClientError as exc:
                raise CheckpointMissing(f"{where}: its S3 object {item['s3_key']} is missing") from exc
        elif "body" in item:
            body = str(item["body"]).encode()
        else:
            raise CheckpointCorrupt(f"{where} has neither a body nor an S3 pointer")
        if hashlib.sha256(body).hexdigest() != item.get("sha256"):
            raise CheckpointCorrupt(f"{where} fails its integrity check (SHA-256 mismatch)")
        try:
            return TurnRecord.model_validate(json.loads(body))
        except (ValueError, ValidationError) as exc:
            raise CheckpointCorrupt(f"{where} cannot be decoded: {exc}") from exc

    @staticmethod
    def _check_sequence(task_id: str, records: list[TurnRecord]) -> None:
        by_session: dict[int, list[int]] = {}
        for record in records:
            by_session.setdefault(record.session, []).append(record.turn)
        for session, turns in by_session.items():
            if turns != list(range(1, len(turns) + 1)):
                raise CheckpointMissing(
                    f"task {task_id} session {session}: stored turns {turns[:5]}... have a gap",
                    task_id=task_id,
                )


def _session_of(turn_key: str) -> str:
    return turn_key.split("#", 1)[0]
