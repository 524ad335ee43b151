"""Task store: the queue, with lifecycle-checked status changes enforced by conditional writes.

Indexes (see infra/jada_infra/state.py):
- `by_status` (status, rank): list a status in priority-then-age order, no Scan.
- `runnable` (queue, rank), sparse: only pending and suspended tasks carry `queue`, so the poll
  finds every runnable task with one Query (suspended ones filtered on `ready_at`).
- `by_created` (catalog, created_key): every task carries `catalog` = "tasks" and `created_key` =
  `<created_at>#<task_id>`, so one Query lists tasks newest (or oldest) first, a page at a time.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key
from botocore.exceptions import ClientError

from jada.clock import iso, parse_time
from jada.errors import IllegalTransition, InvalidTaskInput, TaskNotFound
from jada.lifecycle import EDITABLE, RUNNABLE, TaskStatus, sources_of
from jada.models import (
    MAX_PRIORITY,
    MAX_PROMPT_CHARS,
    MAX_TITLE_CHARS,
    MIN_PRIORITY,
    Answer,
    SessionRecord,
    Task,
    Usage,
)
from jada.stores import schema
from jada.stores._dynamo import TableStore, from_item, is_condition_failure, to_item
from jada.stores.expressions import Update
from jada.stores.queue import POLL_BATCH, RUNNABLE_QUEUE, RunnableQueue

BY_STATUS_INDEX = schema.TASKS.indexes[0].name
BY_CREATED_INDEX = schema.TASKS.indexes[2].name
#: the `catalog` value every task carries (the partition of the `by_created` index)
CATALOG = "tasks"
#: items one request of a status-filtered listing reads
FILTERED_BATCH = 100
#: ids become parts of attribute paths (`holders.<id>-s1`) and execution names: plain names only
TASK_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def new_task_id() -> str:
    return uuid.uuid4().hex[:12]


def child_task_id(tool_use_id: str) -> str:
    """A downstream task's id, derived from the tool_use that created it (retry-safe)."""
    return "c" + hashlib.sha256(tool_use_id.encode()).hexdigest()[:11]


def rank(priority: int, created_at: str, task_id: str) -> str:
    """Sort key: higher priority first, then oldest."""
    return f"{MAX_PRIORITY - priority:03d}#{created_at}#{task_id}"


def created_key(created_at: str, task_id: str) -> str:
    """Sort key of the `by_created` index: creation time, then id (unique, so pages never overlap)."""
    return f"{created_at}#{task_id}"


def task_of(item: dict[str, Any]) -> Task:
    return Task.model_validate(from_item(item))


def validate_prompt(prompt: str) -> str:
    prompt = prompt.strip()
    if not prompt:
        raise InvalidTaskInput("the prompt is empty")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidTaskInput(f"the prompt has {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}")
    return prompt


def validate_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise InvalidTaskInput("the title is empty")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidTaskInput(f"the title has {len(title)} characters; the limit is {MAX_TITLE_CHARS}")
    return title


def validate_priority(priority: int) -> int:
    if not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise InvalidTaskInput(f"priority must be between {MIN_PRIORITY} and {MAX_PRIORITY}, got {priority}")
    return priority


def validate_new_task(title: str, prompt: str, priority: int) -> tuple[str, str]:
    prompt = validate_prompt(prompt)
    title = validate_title((title or "").strip() or prompt.splitlines()[0][:80])
    validate_priority(priority)
    return title, prompt


@dataclass(frozen=True)
class TaskPage:
    """One page of a listing, and where the next (older) page starts."""

    tasks: list[Task]
    #: pass as `before` for the next page; None when there is none
    next_before: str | None = None


class TaskStore(TableStore):
    # --- create and read --------------------------------------------------------------------
    def create(
        self,
        *,
        prompt: str,
        now: datetime,
        title: str = "",
        priority: int = 0,
        parent_id: str | None = None,
        origin: str | None = None,
        max_cost_usd: float | None = None,
        task_id: str | None = None,
    ) -> Task:
        """Queue a task. With `origin` (a tool_use id) the id is derived from it and a repeat
        returns the task created the first time instead of a second one."""
        title, prompt = validate_new_task(title, prompt, priority)
        if task_id is None:
            task_id = child_task_id(origin) if origin else new_task_id()
        elif not TASK_ID.fullmatch(task_id):
            raise InvalidTaskInput(f"a task id is 1-64 letters, digits, '-' or '_'; got {task_id!r}")
        stamp = iso(now)
        task = Task(
            task_id=task_id,
            title=title,
            prompt=prompt,
            priority=priority,
            created_at=stamp,
            updated_at=stamp,
            ready_at=stamp,
            parent_id=parent_id,
            origin=origin,
            max_cost_usd=max_cost_usd,
        )
        try:
            self.table.put_item(Item=self._item(task), ConditionExpression=Attr("task_id").not_exists())
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            if origin:
                return self.get(task_id)
            raise InvalidTaskInput(f"a task with id {task_id!r} already exists", task_id=task_id) from exc
        return task

    def get(self, task_id: str) -> Task:
        # an id no task can have (empty, too long, odd characters) is not sent: DynamoDB refuses some
        found = TASK_ID.fullmatch(task_id) is not None
        item = found and self.table.get_item(Key={"task_id": task_id}, ConsistentRead=True).get("Item")
        if not item:
            raise TaskNotFound(f"no task with id {task_id!r}", task_id=task_id)
        return task_of(item)

    def list_by_status(self, status: TaskStatus, limit: int = 100) -> list[Task]:
        return self._query(
            IndexName=BY_STATUS_INDEX,
            KeyConditionExpression=Key("status").eq(status.value),
            limit=limit,
        )

    def list_all(self, limit: int | None = None) -> list[Task]:
        """Every task (or the first `limit`), oldest first: one Query, paged."""
        return self._query(
            IndexName=BY_CREATED_INDEX, KeyConditionExpression=Key("catalog").eq(CATALOG), limit=limit
        )

    def list_newest(
        self, limit: int = 20, *, status: TaskStatus | None = None, before: str | None = None
    ) -> TaskPage:
        """Tasks newest first, at most `limit`, only `status` if given. `before` (a task id, or an
        ISO time) starts the page after that task (or at tasks created before that time): the
        page's `next_before` continues where it stopped."""
        key = Key("catalog").eq(CATALOG)
        if before:
            key = key & Key("created_key").lt(self._cursor(before))
        query: dict[str, Any] = {
            "IndexName": BY_CREATED_INDEX,
            "KeyConditionExpression": key,
            "ScanIndexForward": False,
        }
        # Limit: read (and be billed for) about one page, not DynamoDB's default of 1 MB; with a
        # filter, items of other statuses are read too, so each request reads a larger batch
        query["Limit"] = limit + 1
        if status is not None:
            query["FilterExpression"] = Attr("status").eq(status.value)
            query["Limit"] = max(limit + 1, FILTERED_BATCH)
        found = self._query(limit=limit + 1, **query)
        more = len(found) > limit
        return TaskPage(found[:limit], found[limit - 1].task_id if more else None)

    def _cursor(self, before: str) -> str:
        """The `created_key` a page starts below: a task id's own key, or a time's."""
        if TASK_ID.fullmatch(before):
            try:
                task = self.get(before)
            except TaskNotFound:
                pass
            else:
                return created_key(task.created_at, task.task_id)
        try:
            return iso(parse_time(before))
        except ValueError:
            raise InvalidTaskInput(
                f"--before takes a task id or an ISO time (2026-05-12T22:00:00Z); {before!r} is neither"
            ) from None

    def runnable(self, now: datetime, limit: int = POLL_BATCH) -> list[Task]:
        """Pending tasks and suspended tasks that are due, best first: one Query when idle."""
        items = RunnableQueue(self.table_name, self._table).items(now, limit)
        return [task_of(item) for item in items]

    def _query(self, *, limit: int | None, **query: Any) -> list[Task]:
        return [task_of(item) for item in self.query_all(limit=limit, **query)]

    # --- status changes ---------------------------------------------------------------------
    def transition(
        self,
        task_id: str,
        target: TaskStatus,
        *,
        now: datetime,
        expected: TaskStatus | None = None,
        ready_at: datetime | None = None,
        set_fields: dict[str, Any] | None = None,
        session: SessionRecord | None = None,
        condition: ConditionBase | None = None,
    ) -> Task:
        """Move a task to `target` if the lifecycle allows it from its current status, setting
        `set_fields` (None removes a field) and recording `session`, if given, in the same write.

        The check is a conditional write, so of two racing writers exactly one wins; the loser
        gets IllegalTransition (or TaskNotFound)."""
        allowed = sources_of(target)
        if expected is not None:
            if expected not in allowed:
                raise IllegalTransition(f"a task cannot go from {expected} to {target}", task_id=task_id)
            allowed = frozenset({expected})
        update = self._changed(now).set("status", target.value).increment("version")
        if target in RUNNABLE:
            update.set("queue", RUNNABLE_QUEUE).set("ready_at", iso(ready_at or now))
        else:
            update.remove("queue")
        update.set_or_remove(set_fields or {})
        if session is not None:
            update.set(f"sessions.{session.number}", session.model_dump(mode="json"))
        update.when(Attr("status").is_in(sorted(s.value for s in allowed)))
        if condition is not None:
            update.when(condition)
        written = self._write(task_id, update, returns="ALL_NEW")
        if written is None:
            current = self.get(task_id)  # raises TaskNotFound
            raise IllegalTransition(
                f"task {task_id} is {current.status}; it cannot go to {target}"
                + (f" (expected {expected})" if expected else ""),
                task_id=task_id,
                current=current.status.value,
                target=target.value,
            )
        return task_of(written)

    def claim(self, task: Task, *, session: SessionRecord, now: datetime) -> Task:
        """Take a runnable task for a new session (pending/suspended -> running)."""
        # a racing poll that already claimed this session number must not be overwritten
        return self.transition(
            task.task_id, TaskStatus.RUNNING, now=now, session=session,
            condition=Attr(f"sessions.{session.number}").not_exists(),
        )  # fmt: skip

    def release_claim(self, task: Task, *, session_number: int, now: datetime) -> Task:
        """Undo a claim whose execution never started: back to the status it had, session record dropped."""
        back = task.status if task.status in RUNNABLE else TaskStatus.PENDING
        update = (
            self._changed(now)
            .set("status", back.value)
            .set("queue", RUNNABLE_QUEUE)
            .set("ready_at", task.ready_at)
            .increment("version")
            .remove(f"sessions.{session_number}")
            # only this claim: the task is running *that* session (not a later one, not finished)
            .when(Attr("status").eq(TaskStatus.RUNNING.value) & Attr(f"sessions.{session_number}").exists())
        )
        written = self._write(task.task_id, update, returns="ALL_NEW")
        if written is None:
            current = self.get(task.task_id)  # raises TaskNotFound
            raise IllegalTransition(
                f"task {task.task_id} is {current.status} without a claim for session {session_number}; "
                "nothing to release",
                task_id=task.task_id,
                current=current.status.value,
            )
        return task_of(written)

    # --- operator edits ----------------------------------------------------------------------
    def edit(
        self,
        task_id: str,
        *,
        now: datetime,
        title: str | None = None,
        prompt: str | None = None,
        priority: int | None = None,
    ) -> Task:
        """Change a task's title, prompt or priority while no session runs it (pending,
        suspended, blocked, failed). A conditional write on the status: a poll claiming the task
        at the same moment either sees the edit or makes this refuse it."""
        fields: dict[str, Any] = {}
        if title is not None:
            fields["title"] = validate_title(title)
        if prompt is not None:
            fields["prompt"] = validate_prompt(prompt)
        if priority is not None:
            fields["priority"] = validate_priority(priority)
        if not fields:
            raise InvalidTaskInput("nothing to change: give a new title, prompt or priority")
        task = self.get(task_id)  # raises TaskNotFound
        if priority is not None:
            fields["rank"] = rank(priority, task.created_at, task.task_id)
        update = self._changed(now).increment("version").set_or_remove(fields)
        update.when(Attr("status").is_in(sorted(s.value for s in EDITABLE)))
        written = self._write(task_id, update, returns="ALL_NEW")
        if written is None:
            current = self.get(task_id)
            editable = ", ".join(s.value for s in TaskStatus if s in EDITABLE)
            raise IllegalTransition(
                f"task {task_id} is {current.status}; only {editable} tasks can be edited"
                + (" (stop its session first)" if current.status is TaskStatus.RUNNING else ""),
                task_id=task_id,
                current=current.status.value,
            )
        return task_of(written)

    def request_stop(self, task_id: str, number: int, *, now: datetime) -> Task:
        """Mark running session `number` as stopped by the operator (before its execution is
        stopped): whatever ends the session then records it `stopped`, and a batch still running
        ends after its current turn."""
        path = f"sessions.{number}"
        update = (
            self._changed(now)
            .set(f"{path}.stop_requested_at", iso(now))
            .when(Attr("status").eq(TaskStatus.RUNNING.value))
            .when(Attr(path).exists())
            .when(Attr(f"{path}.ended_at").not_exists() | Attr(f"{path}.ended_at").attribute_type("NULL"))
        )
        written = self._write(task_id, update, returns="ALL_NEW")
        if written is None:
            current = self.get(task_id)
            raise IllegalTransition(
                f"task {task_id} is {current.status} and session {number} is not running; nothing to stop",
                task_id=task_id,
                current=current.status.value,
            )
        return task_of(written)

    # --- fields that change while running ---------------------------------------------------
    def update_fields(self, task_id: str, *, now: datetime, **fields: Any) -> None:
        """Set fields; a None value removes the field."""
        self._update(task_id, self._changed(now).set_or_remove(fields))

    def set_handoff_note(self, task_id: str, note: str, *, now: datetime) -> None:
        self.update_fields(task_id, now=now, handoff_note=note)

    def add_child(self, parent_id: str, child_id: str, *, now: datetime) -> None:
        """Link a child task once: a repeat (a retried tool call) changes nothing."""
        update = self._changed(now).append("children", child_id).when(~Attr("children").contains(child_id))
        if self._write(parent_id, update) is None:
            self.get(parent_id)  # raises TaskNotFound; otherwise the child is linked already

    def update_session(self, task_id: str, session: SessionRecord, *, now: datetime) -> None:
        update = self._changed(now).set(f"sessions.{session.number}", session.model_dump(mode="json"))
        self._update(task_id, update)

    def record_turns(
        self, task_id: str, session: SessionRecord, added: Usage, *, now: datetime
    ) -> Task | None:
        """A running session's stored turns (`session.turns`) and usage, and `added` (the usage of
        the turns not counted yet) added to the task's totals, in one write that happens once: it
        is refused (None) when the record already counts that many turns (a retried batch, or a
        request the SDK sent again after its response was lost)."""
        written = self._write(task_id, self._turns_update(session, added, now), returns="ALL_NEW")
        if written is None and str(session.number) not in self.get(task_id).sessions:  # raises TaskNotFound
            path = f"sessions.{session.number}"
            whole = (
                self._changed(now).set(path, session.model_dump(mode="json")).when(Attr(path).not_exists())
            )
            written = self._write(task_id, self._add_usage(whole, added), returns="ALL_NEW")
        return task_of(written) if written is not None else None

    def turns_transaction_item(
        self, task_id: str, session: SessionRecord, added: Usage, *, now: datetime
    ) -> dict[str, Any]:
        """`record_turns` (for a stored session record) as an item of a DynamoDB transaction, so a
        turn's checkpoint and its count on the task are written together or not at all."""
        update = self._turns_update(session, added, now).when(Attr("task_id").exists())
        return update.transaction_item(self.table_name, {"task_id": task_id})

    def _turns_update(self, session: SessionRecord, added: Usage, now: datetime) -> Update:
        path = f"sessions.{session.number}"
        update = (
            self._changed(now)
            .set(f"{path}.turns", session.turns)
            .set(f"{path}.usage", session.usage.model_dump(mode="json"))
            .when(Attr(path).exists() & Attr(f"{path}.turns").lt(session.turns))
        )
        return self._add_usage(update, added)

    @staticmethod
    def _add_usage(update: Update, usage: Usage) -> Update:
        for field, amount in usage.model_dump().items():
            update.increment(f"usage.{field}", amount)
        return update

    def add_usage(self, task_id: str, usage: Usage, *, now: datetime) -> Task:
        """Add to the task's usage totals in one atomic update (no lost update between writers)."""
        update = self._changed(now)
        for field, amount in usage.model_dump().items():
            update.increment(f"usage.{field}", amount)
        written = self._write(task_id, update, returns="ALL_NEW")
        if written is None:
            raise TaskNotFound(f"no task with id {task_id!r}", task_id=task_id)
        return task_of(written)

    def add_answer(self, task_id: str, answer: Answer, *, now: datetime) -> None:
        update = (
            self._changed(now).append("answers", answer.model_dump()).set("pending_answer", answer.answer)
        )
        self._update(task_id, update)

    # --- writes -----------------------------------------------------------------------------
    @staticmethod
    def _changed(now: datetime) -> Update:
        """An update that stamps `updated_at`."""
        return Update().set("updated_at", iso(now))

    def _update(self, task_id: str, update: Update) -> None:
        """Apply `update` to a task that must exist."""
        if self._write(task_id, update) is None:
            raise TaskNotFound(f"no task with id {task_id!r}", task_id=task_id)

    def _write(self, task_id: str, update: Update, returns: str = "NONE") -> dict[str, Any] | None:
        """Apply `update` (conditioned here on the task existing): the attributes `returns` asks
        for ({} for NONE), or None when refused (no such task, or the update's condition failed)."""
        if not TASK_ID.fullmatch(task_id):
            return None  # no task has that id
        try:
            result = self.table.update_item(
                Key={"task_id": task_id},
                ReturnValues=returns,
                **update.when(Attr("task_id").exists()).kwargs(),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return dict(result.get("Attributes", {}))

    # --- serialization ----------------------------------------------------------------------
    @staticmethod
    def _item(task: Task) -> dict[str, Any]:
        data = task.model_dump(mode="json")
        data["rank"] = rank(task.priority, task.created_at, task.task_id)
        data["catalog"] = CATALOG
        data["created_key"] = created_key(task.created_at, task.task_id)
        if task.status in RUNNABLE:
            data["queue"] = RUNNABLE_QUEUE
        return to_item(data)
