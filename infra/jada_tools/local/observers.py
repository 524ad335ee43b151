"""What a local run of jada means: observers of the simulator that write the timeline and collect
what the report says (syncs, emails). The simulator itself knows nothing of jada."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jada.clock import iso

from jada_tools.local.alarms import INSUFFICIENT, StateChange
from jada_tools.local.engine import LocalCloudError, Observer, ScheduledCall
from jada_tools.local.mailbox import Mailbox
from jada_tools.local.provision import Deployment
from jada_tools.local.simclock import SimClock
from jada_tools.local.stepfunctions import ExecutionChange, ExecutionView

#: what the timeline says when a poll held runnable tasks back
POLL_STOPS = {
    "quota": "the day's session quota is used up: runnable tasks wait for 00:00 UTC",
    "cap": "the concurrency cap is reached: runnable tasks wait for a free slot",
    "paused": "the Anthropic spend limit is reached: no sessions start until it resets",
    "budget": "the monthly budget is reached: no sessions start until the next month",
}


@dataclass
class Entry:
    at: datetime
    kind: str
    text: str


@dataclass
class Timeline:
    """The run's story for people, stamped with simulated times."""

    clock: SimClock
    entries: list[Entry] = field(default_factory=list)

    def log(self, kind: str, text: str, at: datetime | None = None) -> None:
        self.entries.append(Entry(at or self.clock.now, kind, text))


# --- where jada keeps its state in a deployment -------------------------------------------------
def tasks_table(dep: Deployment) -> str | None:
    for fn in dep.functions.values():
        if fn.environment.get("TASKS_TABLE"):
            return fn.environment["TASKS_TABLE"]
    return next((name for lid, name in dep.tables.items() if "Tasks" in lid), None)


def task_store(dep: Deployment) -> Any:
    from jada.stores.tasks import TaskStore

    name = tasks_table(dep)
    if not name:
        raise LocalCloudError("the template has no tasks table")
    return TaskStore(name)


def sheet_rows(dep: Deployment) -> int | None:
    """Live (not tombstoned) rows in the sheet mirror."""
    from jada.sheets.store import SheetStore

    fn = dep.function_by_folder("sheet_sync")
    table = fn.environment.get("SHEET_TABLE") if fn else None
    return len(SheetStore(table).rows()) if table else None


# --- observers ----------------------------------------------------------------------------------
class InvocationLog(Observer):
    """Timeline lines for schedule firings that went wrong."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline

    def invoked(self, call: ScheduledCall) -> None:
        if call.function is None:
            target = call.schedule.target_arn
            self.timeline.log("schedule", f"{call.schedule.name}: target {target} is not a function here")
        elif call.error:
            name = call.function.folder_name or call.function.name
            result = call.result if isinstance(call.result, dict) else {}
            error = f"{result.get('errorType')}: {result.get('errorMessage')}"
            self.timeline.log("error", f"{name} failed: {error}")


class PollObserver(Observer):
    """A timeline line whenever the poll starts or stops holding runnable tasks back (quota, cap)."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.last_stop: str | None = None

    def invoked(self, call: ScheduledCall) -> None:
        if call.function is None or call.function.folder_name != "poll":
            return
        stop = call.result.get("stopped_by") if isinstance(call.result, dict) else None
        if stop and stop != self.last_stop:
            self.timeline.log("poll", POLL_STOPS.get(stop, f"runnable tasks held back: {stop}"))
        self.last_stop = stop


class SyncObserver(Observer):
    """The report's `syncs`: one entry per scheduled sheet sync, from the handler's result."""

    KEYS = ("reason", "error_code", "written", "tombstoned", "suspicious")

    def __init__(self, timeline: Timeline, deployment: Deployment) -> None:
        self.timeline = timeline
        self.deployment = deployment
        self.syncs: list[dict[str, Any]] = []

    def invoked(self, call: ScheduledCall) -> None:
        if call.function is None or call.function.folder_name != "sheet_sync":
            return
        result = call.result if isinstance(call.result, dict) else {}
        outcome = result.get("outcome") or ("error" if call.error else "unknown")
        rows = result.get("rows")
        if rows is None:
            rows = sheet_rows(self.deployment)
        entry = {"at": iso(call.at), "outcome": outcome, "rows": rows}
        entry.update({k: result[k] for k in self.KEYS if k in result})
        if call.error:  # the function crashed: Lambda's error is the reason
            entry["reason"] = f"{result.get('errorType')}: {result.get('errorMessage')}"
        self.syncs.append(entry)
        self.timeline.log("sync", f"sheet sync: {outcome}" + (f", {rows} rows" if rows is not None else ""))


class SessionObserver(Observer):
    """Timeline lines for executions (sessions) starting and ending, with the task's outcome."""

    def __init__(self, timeline: Timeline, deployment: Deployment) -> None:
        self.timeline = timeline
        self.deployment = deployment

    def execution_changed(self, change: ExecutionChange) -> None:
        v = change.execution
        if change.before is None:
            self.timeline.log("start", f"started {v.name}", v.started)
        if v.status != "RUNNING":
            self.timeline.log("session", self._describe_end(v), v.stopped)

    def _describe_end(self, v: ExecutionView) -> str:
        task_id = str(v.input.get("task_id", ""))
        number = str(v.input.get("session", ""))
        if v.status != "SUCCEEDED":
            return f"ended {v.name}: execution {v.status.lower()} ({v.error or 'no error name'})"
        try:
            task = task_store(self.deployment).get(task_id)
        except Exception:
            return f"ended {v.name}"
        record = task.sessions.get(number)
        outcome = record.outcome.value if record and record.outcome else "?"
        turns = record.turns if record else "?"
        return f"'{task.title}' session {number}: {outcome} after {turns} turns, task {task.status.value}"


class AlarmObserver(Observer):
    """A timeline line per alarm state change (not the first evaluations after deploy)."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline

    def alarm_changed(self, change: StateChange) -> None:
        if change.old != INSUFFICIENT:
            self.timeline.log("alarm", f"{change.alarm.name}: {change.old} -> {change.new}")


class MailboxObserver(Observer):
    """Delivers SNS publishes to the email subscribers' mailbox, with a timeline line per email."""

    def __init__(self, timeline: Timeline, mailbox: Mailbox) -> None:
        self.timeline = timeline
        self.mailbox = mailbox

    def settled(self, now: datetime) -> None:
        for email in self.mailbox.collect(now):
            self.timeline.log("email", f"to {email.to}: {email.subject}")
