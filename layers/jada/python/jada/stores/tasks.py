"""Task store: the queue, with lifecycle-checked status changes enforced by conditional writes.

Indexes (see infra/jada_infra/state.py):
- `by_status` (status, rank): list a status in priority-then-age order, no Scan.
- `runnable` (queue, rank), sparse: only pending and suspended tasks carry `queue`, so the poll
  finds every runnable task with one Query (suspended ones filtered on `ready_at`).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from jada.clock import iso
from jada.errors import IllegalTransition, InvalidTaskInput, TaskNotFound
from jada.lifecycle import RUNNABLE, TaskStatus, sources_of
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

BY_STATUS_INDEX = schema.TASKS.indexes[0].name
RUNNABLE_INDEX = schema.TASKS.indexes[1].name
RUNNABLE_QUEUE = "runnable"


def new_task_id() -> str:
    return uuid.uuid4().hex[:12]


def child_task_id(tool_use_id: str) -> str:
    """A downstream task's id, derived from the tool_use that created it (retry-safe)."""
    return "c" + hashlib.sha256(tool_use_id.encode()).hexdigest()[:11]


def rank(priority: int, created_at: str, task_id: str) -> str:
    """Sort key: higher priority first, then oldest."""
    return f"{MAX_PRIORITY - priority:03d}#{created_at}#{task_id}"


def validate_new_task(title: str, prompt: str, priority: int) -> tuple[str, str]:
    prompt = prompt.strip()
    if not prompt:
        raise InvalidTaskInput("the prompt is empty")
    title = (title or "").strip() or prompt.splitlines()[0][:80]
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidTaskInput(f"the prompt has {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidTaskInput(f"the title has {len(title)} characters; the limit is {MAX_TITLE_CHARS}")
    if not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise InvalidTaskInput(f"priority must be between {MIN_PRIORITY} and {MAX_PRIORITY}, got {priority}")
    return title, prompt


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
        item = self.table.get_item(Key={"task_id": task_id}, ConsistentRead=True).get("Item")
        if not item:
            raise TaskNotFound(f"no task with id {task_id!r}", task_id=task_id)
        return Task.model_validate(from_item(item))

    def list_by_status(self, status: TaskStatus, limit: int = 100) -> list[Task]:
        return self._query(
            IndexName=BY_STATUS_INDEX,
            KeyConditionExpression=Key("status").eq(status.value),
            limit=limit,
        )

    def list_all(self, limit: int = 100) -> list[Task]:
        tasks: list[Task] = []
        for status in TaskStatus:
            tasks.extend(self.list_by_status(status, limit))
        return sorted(tasks, key=lambda t: t.created_at)[:limit]

    def runnable(self, now: datetime, limit: int = 50) -> list[Task]:
        """Pending tasks and suspended tasks that are due, best first: one Query when idle."""
        return self._query(
            IndexName=RUNNABLE_INDEX,
            KeyConditionExpression=Key("queue").eq(RUNNABLE_QUEUE),
            FilterExpression=Attr("ready_at").lte(iso(now)),
            limit=limit,
        )

    def _query(self, *, limit: int, **kwargs: Any) -> list[Task]:
        tasks: list[Task] = []
        while True:
            page = self.table.query(**kwargs)
            tasks.extend(Task.model_validate(from_item(i)) for i in page.get("Items", []))
            if len(tasks) >= limit or "LastEvaluatedKey" not in page:
                return tasks[:limit]
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

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
        remove_fields: tuple[str, ...] = (),
        session: SessionRecord | None = None,
        condition: str | None = None,
    ) -> Task:
        """Move a task to `target` if the lifecycle allows it from its current status.

        The check is a conditional write, so of two racing writers exactly one wins; the loser
        gets IllegalTransition (or TaskNotFound)."""
        allowed = sources_of(target)
        if expected is not None:
            if expected not in allowed:
                raise IllegalTransition(f"a task cannot go from {expected} to {target}", task_id=task_id)
            allowed = frozenset({expected})
        names: dict[str, str] = {"#status": "status", "#version": "version"}
        values: dict[str, Any] = {
            ":target": target.value,
            ":now": iso(now),
            ":one": 1,
            **{f":from{i}": s.value for i, s in enumerate(sorted(allowed))},
        }
        sets = ["#status = :target", "updated_at = :now", "#version = #version + :one"]
        removes = list(remove_fields)
        if target in RUNNABLE:
            sets += ["queue = :queue", "ready_at = :ready"]
            values[":queue"] = RUNNABLE_QUEUE
            values[":ready"] = iso(ready_at or now)
        else:
            removes.append("queue")
        for i, (field, value) in enumerate((set_fields or {}).items()):
            if value is None:
                removes.append(field)
                continue
            names[f"#f{i}"] = field
            values[f":f{i}"] = to_item({"v": value})["v"]
            sets.append(f"#f{i} = :f{i}")
        if session is not None:
            names["#sn"] = str(session.number)
            values[":session"] = to_item(session.model_dump(mode="json"))
            sets.append("sessions.#sn = :session")
        expression = "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(dict.fromkeys(removes))
        condition = (
            "attribute_exists(task_id) AND #status IN ("
            + ", ".join(f":from{i}" for i in range(len(allowed)))
            + ")"
            + (f" AND {condition}" if condition else "")
        )
        try:
            result = self.table.update_item(
                Key={"task_id": task_id},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            current = self.get(task_id)  # raises TaskNotFound
            raise IllegalTransition(
                f"task {task_id} is {current.status}; it cannot go to {target}"
                + (f" (expected {expected})" if expected else ""),
                task_id=task_id,
                current=current.status.value,
                target=target.value,
            ) from exc
        return Task.model_validate(from_item(result["Attributes"]))

    def claim(self, task: Task, *, session: SessionRecord, now: datetime) -> Task:
        """Take a runnable task for a new session (pending/suspended -> running)."""
        # a racing poll that already claimed this session number must not be overwritten
        return self.transition(
            task.task_id, TaskStatus.RUNNING, now=now, session=session,
            condition="attribute_not_exists(sessions.#sn)",
        )  # fmt: skip

    def release_claim(self, task: Task, *, session_number: int, now: datetime) -> Task:
        """Undo a claim whose execution never started: back to the status it had, session record dropped."""
        back = task.status if task.status in RUNNABLE else TaskStatus.PENDING
        try:
            result = self.table.update_item(
                Key={"task_id": task.task_id},
                UpdateExpression="SET #status = :back, queue = :queue, ready_at = :ready, updated_at = :now, "
                "#version = #version + :one REMOVE sessions.#sn",
                # only this claim: the task is running *that* session (not a later one, not finished)
                ConditionExpression="attribute_exists(task_id) AND #status = :running "
                "AND attribute_exists(sessions.#sn)",
                ExpressionAttributeNames={
                    "#status": "status",
                    "#sn": str(session_number),
                    "#version": "version",
                },
                ExpressionAttributeValues={
                    ":back": back.value,
                    ":queue": RUNNABLE_QUEUE,
                    ":ready": task.ready_at,
                    ":now": iso(now),
                    ":running": TaskStatus.RUNNING.value,
                    ":one": 1,
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            current = self.get(task.task_id)  # raises TaskNotFound
            raise IllegalTransition(
                f"task {task.task_id} is {current.status} without a claim for session {session_number}; "
                "nothing to release",
                task_id=task.task_id,
                current=current.status.value,
            ) from exc
        return Task.model_validate(from_item(result["Attributes"]))

    # --- fields that change while running ---------------------------------------------------
    def update_fields(self, task_id: str, *, now: datetime, **fields: Any) -> None:
        """Set fields; a None value removes the field."""
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        values = {f":f{i}": to_item({"v": v})["v"] for i, v in enumerate(fields.values()) if v is not None}
        sets = "".join(f"#f{i} = :f{i}, " for i in range(len(fields)) if f":f{i}" in values)
        removes = ", ".join(f"#f{i}" for i, v in enumerate(fields.values()) if v is None)
        expression = f"SET {sets}updated_at = :now" + (f" REMOVE {removes}" if removes else "")
        self._update(task_id, expression, names, {**values, ":now": iso(now)})

    def set_handoff_note(self, task_id: str, note: str, *, now: datetime) -> None:
        self.update_fields(task_id, now=now, handoff_note=note)

    def add_child(self, parent_id: str, child_id: str, *, now: datetime) -> None:
        self._update(
            parent_id,
            "SET children = list_append(children, :child), updated_at = :now",
            {},
            {":child": [child_id], ":now": iso(now), ":c": child_id},
            condition="NOT contains(children, :c)",
            ignore_condition=True,
        )

    def update_session(self, task_id: str, session: SessionRecord, *, now: datetime) -> None:
        self._update(
            task_id,
            "SET sessions.#sn = :session, updated_at = :now",
            {"#sn": str(session.number)},
            {":session": to_item(session.model_dump(mode="json")), ":now": iso(now)},
        )

    def add_usage(self, task_id: str, usage: Usage, *, now: datetime) -> Task:
        """Add to the task's usage totals in one atomic update (no lost update between writers)."""
        fields = list(Usage.model_fields)
        adds = ", ".join(f"#u.#k{i} = if_not_exists(#u.#k{i}, :zero) + :v{i}" for i in range(len(fields)))
        names = {"#u": "usage", **{f"#k{i}": f for i, f in enumerate(fields)}}
        values = {f":v{i}": v for i, v in enumerate(to_item(usage.model_dump()).values())}
        try:
            result = self.table.update_item(
                Key={"task_id": task_id},
                UpdateExpression=f"SET {adds}, updated_at = :now",
                ConditionExpression="attribute_exists(task_id)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={**values, ":zero": 0, ":now": iso(now)},
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                raise TaskNotFound(f"no task with id {task_id!r}", task_id=task_id) from exc
            raise
        return Task.model_validate(from_item(result["Attributes"]))

    def add_answer(self, task_id: str, answer: Answer, *, now: datetime) -> None:
        self._update(
            task_id,
            "SET answers = list_append(if_not_exists(answers, :empty), :answer), pending_answer = :text, "
            "updated_at = :now",
            {},
            {
                ":answer": [answer.model_dump()],
                ":empty": [],
                ":text": answer.answer,
                ":now": iso(now),
            },
        )

    def _update(
        self,
        task_id: str,
        expression: str,
        names: dict[str, str],
        values: dict[str, Any],
        *,
        condition: str | None = None,
        ignore_condition: bool = False,
    ) -> None:
        cond = "attribute_exists(task_id)" + (f" AND {condition}" if condition else "")
        kwargs: dict[str, Any] = {
            "Key": {"task_id": task_id},
            "UpdateExpression": expression,
            "ConditionExpression": cond,
            "ExpressionAttributeValues": values,
        }
        if names:
            kwargs["ExpressionAttributeNames"] = names
        try:
            self.table.update_item(**kwargs)
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            self.get(task_id)  # raises TaskNotFound when missing
            if not ignore_condition:
                raise

    # --- serialization ----------------------------------------------------------------------
    @staticmethod
    def _item(task: Task) -> dict[str, Any]:
        data = task.model_dump(mode="json")
        data["rank"] = rank(task.priority, task.created_at, task.task_id)
        if task.status in RUNNABLE:
            data["queue"] = RUNNABLE_QUEUE
        return to_item(data)
