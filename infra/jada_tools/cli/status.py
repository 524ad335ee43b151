"""`jada status`: one screen for the operator: the poll's heartbeat, today's sessions against the
quota, running sessions, blocked tasks, the sheet sync's health, alarms in ALARM, and spend.

Each part is read on its own and fails soft: a part that cannot be read shows `unknown: <why>`
and the rest still prints (`--json`: that part is `{"unknown": "<why>"}`). Only a stack whose
outputs cannot be read at all (no region, no credentials, no such stack) is an error.

Spend: if `jada_tools.cli.cost` defines `spend_summary(out: StackOutputs, now: datetime) -> dict`
(keys `today_usd`, `month_usd`, and `budget_usd` or None), it is used; otherwise the spend is
summed here from the sessions' recorded usage (a session counts on the day it started).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import typer
from jada import aws
from jada.clock import iso, next_rollover, parse_time, utc_day, utcnow
from jada.lifecycle import TaskStatus
from jada.models import Task
from jada.stores.counters import CounterStore
from jada.stores.tasks import TaskStore
from jada.telemetry import DIMENSIONS, NAMESPACE, M

from jada_tools.cli.common import AS_JSON, STACK, describe, echo_json, guard
from jada_tools.cli.stack import StackOutputs, outputs

#: how far back the poll's heartbeat is looked for
HEARTBEAT_WINDOW = timedelta(hours=6)
#: a heartbeat older than this is called late (the default poll runs every minute)
HEARTBEAT_LATE = timedelta(minutes=5)
#: how many sync runs back the last `ok` and the last error are looked for
SYNC_RUNS_BACK = 500


def status(stack: str = STACK, as_json: bool = AS_JSON) -> None:
    """One screen: poll heartbeat, sessions vs quota, running and blocked tasks, sync health,
    alarms in ALARM, spend today and this month."""
    now = utcnow()
    out = guard(lambda: outputs(stack))
    report = gather(out, stack, now)
    if as_json:
        echo_json(report)
        return
    typer.echo(render(report))


def gather(out: StackOutputs, stack: str, now: datetime) -> dict[str, Any]:
    def tasks() -> TaskStore:
        return TaskStore(out["TasksTableName"])

    report: dict[str, Any] = {"at": iso(now), "stack": stack}
    report["poll"] = part(lambda: poll_heartbeat(out, now))
    report["quota"] = part(lambda: quota(out, now))
    report["running"] = part(
        lambda: [running_session(t, now) for t in tasks().list_by_status(TaskStatus.RUNNING, 100)]
    )
    report["blocked"] = part(lambda: [blocked(t) for t in tasks().list_by_status(TaskStatus.BLOCKED, 100)])
    report["sync"] = part(lambda: sync_health(out, now))
    report["alarms"] = part(lambda: alarms_in_alarm(stack))
    report["spend"] = part(lambda: spend(out, now))
    return report


def part(read: Callable[[], Any]) -> Any:
    """One part of the screen, or `{"unknown": why}` if it cannot be read."""
    try:
        return read()
    except Exception as exc:  # fail soft: one part must not hide the others
        return {"unknown": describe(exc)[0]}


# --- parts --------------------------------------------------------------------------------------
def poll_heartbeat(out: StackOutputs, now: datetime) -> dict[str, Any]:
    """When the poll last ran: its PollHeartbeat metric, else its function's Invocations."""
    dims = [{"Name": k, "Value": v} for k, v in DIMENSIONS.items()]
    last = _last_datapoint(NAMESPACE, M.POLL_HEARTBEAT, dims, now)
    source = M.POLL_HEARTBEAT
    if last is None and out.values.get("PollFunctionName"):
        fn = [{"Name": "FunctionName", "Value": out.values["PollFunctionName"]}]
        last, source = _last_datapoint("AWS/Lambda", "Invocations", fn, now), "Lambda Invocations"
    if last is None:
        hours = int(HEARTBEAT_WINDOW.total_seconds() // 3600)
        return {"unknown": f"no poll heartbeat in the last {hours} hours (is the PollSchedule enabled?)"}
    age = max(0, int((now - last).total_seconds()))
    return {
        "last": iso(last),
        "age_seconds": age,
        "late": age > HEARTBEAT_LATE.total_seconds(),
        "source": source,
    }


def _last_datapoint(namespace: str, name: str, dims: list[dict[str, str]], now: datetime) -> datetime | None:
    found = aws.client("cloudwatch").get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=dims,
        StartTime=now - HEARTBEAT_WINDOW,
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Sum"],
    )
    stamps = [p["Timestamp"] for p in found.get("Datapoints", []) if p.get("Sum", 0) > 0]
    return max(stamps) if stamps else None


def quota(out: StackOutputs, now: datetime) -> dict[str, Any]:
    from jada_tools.cli.tasks import _deployed_settings

    counters = CounterStore(out["CountersTableName"])
    settings = _deployed_settings(out)
    used = counters.sessions_used(utc_day(now))
    return {
        "day": utc_day(now).isoformat(),
        "used": used,
        "limit": settings.sessions_per_day,
        "left": max(0, settings.sessions_per_day - used),
        "running": len(counters.slot_holders(now)),
        "max_concurrent_sessions": settings.max_concurrent_sessions,
        "next_rollover": iso(next_rollover(now)),
        "paused": counters.sessions_paused(now),
    }


def running_session(task: Task, now: datetime) -> dict[str, Any]:
    record = next((r for r in reversed(task.session_list()) if r.ended_at is None), None)
    entry: dict[str, Any] = {"id": task.task_id, "title": task.title}
    if record is not None:
        started = parse_time(record.started_at)
        entry.update(
            session=record.number,
            execution=record.execution,
            turns=record.turns,
            started_at=record.started_at,
            running_seconds=max(0, int((now - started).total_seconds())),
            stopping=record.stop_requested_at is not None,
        )
    return entry


def blocked(task: Task) -> dict[str, Any]:
    return {
        "id": task.task_id,
        "title": task.title,
        "reason": task.blocked_reason,
        "unblock": f'jada tasks unblock {task.task_id} --answer "..."',
    }


def sync_health(out: StackOutputs, now: datetime) -> dict[str, Any]:
    """Last ok run, last error and its reason, token age; off when no spreadsheet is configured."""
    from jada_tools.cli.sync import _token_summary

    off = _sync_off(out)
    if off:
        return {"off": True, "why": off}
    runs = _recent_runs(out["SheetTableName"])
    ok = next((r for r in runs if r.get("outcome") == "ok"), None)
    error = next((r for r in runs if r.get("outcome") not in {"ok", None}), None)
    health: dict[str, Any] = {"off": False, "runs_read": len(runs)}
    health["last"] = _run_summary(runs[0]) if runs else None
    health["last_ok"] = _run_summary(ok) if ok else None
    health["last_error"] = _run_summary(error) if error else None
    health["token"] = part(lambda: _token_summary(out["GoogleTokenSecretArn"]))
    return health


def _sync_off(out: StackOutputs) -> str | None:
    """Why the sync is off, or None: no sync function, or one with no spreadsheet id."""
    name = out.values.get("SyncFunctionName")
    if not name:
        return "sync is off: the stack has no sheet sync (no spreadsheetId configured)"
    config = aws.client("lambda").get_function_configuration(FunctionName=name)
    env = config.get("Environment", {}).get("Variables", {})
    if not env.get("SPREADSHEET_ID", "").strip():
        return "sync is off: no spreadsheetId is configured (cdk deploy -c spreadsheetId=...)"
    return None


def _recent_runs(table: str) -> list[dict[str, Any]]:
    from boto3.dynamodb.conditions import Key
    from jada.sheets.store import RUN_PREFIX, SYNC, SheetStore
    from jada.stores._dynamo import from_item

    items = SheetStore(table).query_all(
        KeyConditionExpression=Key("pk").eq(SYNC) & Key("sk").begins_with(RUN_PREFIX),
        ScanIndexForward=False,
        limit=SYNC_RUNS_BACK,
    )
    return [from_item(i) for i in items]


def _run_summary(run: dict[str, Any]) -> dict[str, Any]:
    reason = run.get("reason") or (
        f"{run['error_code']}: {run.get('error_description') or ''}".rstrip(": ")
        if run.get("error_code")
        else None
    )
    return {"at": run.get("at"), "outcome": run.get("outcome"), "rows": run.get("rows"), "reason": reason}


def alarms_in_alarm(stack: str) -> list[dict[str, Any]]:
    pages = (
        aws.client("cloudwatch")
        .get_paginator("describe_alarms")
        .paginate(AlarmNamePrefix=f"{stack}-", StateValue="ALARM")
    )
    return [
        {"name": a["AlarmName"], "since": a.get("StateUpdatedTimestamp"), "reason": a.get("StateReason", "")}
        for page in pages
        for a in page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])
        if a.get("StateValue") == "ALARM"  # moto ignores StateValue beside AlarmNamePrefix
    ]


def spend(out: StackOutputs, now: datetime) -> dict[str, Any]:
    hook = _spend_hook()
    if hook is not None:
        return {**hook(out, now), "source": "jada cost"}
    from jada_tools.cli.tasks import _deployed_settings

    today, month = utc_day(now).isoformat(), utc_day(now).isoformat()[:7]
    totals = {"today_usd": 0.0, "month_usd": 0.0}
    for task in TaskStore(out["TasksTableName"]).list_all():
        for record in task.session_list():
            day = record.started_at[:10]
            if day == today:
                totals["today_usd"] += record.usage.cost_usd
            if day[:7] == month:
                totals["month_usd"] += record.usage.cost_usd
    budget = getattr(_deployed_settings(out), "monthly_budget_usd", None) or None
    return {**{k: round(v, 4) for k, v in totals.items()}, "budget_usd": budget, "source": "session usage"}


def _spend_hook() -> Callable[[StackOutputs, datetime], dict[str, Any]] | None:
    try:
        module = importlib.import_module("jada_tools.cli.cost")
    except ImportError:
        return None
    hook = getattr(module, "spend_summary", None)
    return hook if callable(hook) else None


# --- the screen ---------------------------------------------------------------------------------
def render(report: dict[str, Any]) -> str:
    lines = [f"jada status at {report['at']} (stack {report['stack']})"]
    for label, part_name, show in (
        ("poll", "poll", _poll_lines),
        ("quota", "quota", _quota_lines),
        ("running", "running", _running_lines),
        ("blocked", "blocked", _blocked_lines),
        ("sync", "sync", _sync_lines),
        ("alarms", "alarms", _alarm_lines),
        ("spend", "spend", _spend_lines),
    ):
        value = report[part_name]
        body = (
            [f"unknown: {value['unknown']}"]
            if isinstance(value, dict) and "unknown" in value
            else show(value)
        )
        lines.append(f"{label:<8} {body[0]}")
        lines += [f"{'':<8} {line}" for line in body[1:]]
    return "\n".join(lines)


def _ago(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def _since(stamp: str | None, now: datetime | None = None) -> str:
    if not stamp:
        return "?"
    age = int(((now or utcnow()) - parse_time(stamp)).total_seconds())
    return f"{stamp} ({_ago(max(0, age))})"


def _poll_lines(poll: dict[str, Any]) -> list[str]:
    late = "  LATE: check the PollSchedule and the Poll function's errors" if poll["late"] else ""
    return [f"last ran {_ago(poll['age_seconds'])} ({poll['last']}){late}"]


def _quota_lines(q: dict[str, Any]) -> list[str]:
    lines = [
        f"{q['used']} of {q['limit']} sessions used today ({q['day']} UTC), {q['left']} left; "
        f"{q['running']} of {q['max_concurrent_sessions']} slots in use; renews {q['next_rollover']}"
    ]
    if q["paused"]:
        lines.append(f"new sessions are PAUSED: {q['paused']} (jada quota --resume)")
    return lines


def _running_lines(running: list[dict[str, Any]]) -> list[str]:
    if not running:
        return ["no session running"]
    lines = []
    for r in running:
        if "session" not in r:
            lines.append(f"{r['id']}  {r['title']}: no open session record")
            continue
        state = ", stopping" if r["stopping"] else ""
        lines.append(
            f"{r['id']}  {r['title']}: session {r['session']}, {r['turns']} turns, "
            f"running {r['running_seconds'] // 60} min{state}  (stop: jada tasks stop {r['id']})"
        )
    return lines


def _blocked_lines(found: list[dict[str, Any]]) -> list[str]:
    if not found:
        return ["no task blocked"]
    return [f"{b['id']}  {b['title']}: {b['reason'] or '(no reason)'}  ->  {b['unblock']}" for b in found]


def _sync_lines(sync: dict[str, Any]) -> list[str]:
    if sync["off"]:
        return [sync["why"]]
    ok, error, last = sync["last_ok"], sync["last_error"], sync["last"]
    lines = [
        f"last run {_since(last['at'])}: {last['outcome']}" if last else "no sync run recorded yet",
        f"last ok  {_since(ok['at'])}, {ok['rows']} rows" if ok else "no successful sync recorded",
    ]
    if error:
        lines.append(
            f"last error {_since(error['at'])}: {error['outcome']}: {error['reason'] or '(no reason)'}"
        )
    token = sync["token"]
    if "unknown" in token:
        lines.append(f"token: unknown: {token['unknown']}")
    elif not token.get("configured"):
        problem = f" ({token['problem']})" if token.get("problem") else ""
        lines.append(f"token: not configured{problem}: jada auth google --client-secrets FILE")
    else:
        dies = f", dies by {token['expires_by']}" if token.get("expires_by") else ""
        lines.append(
            f"token: {token['age_days']} days old ({token.get('app_status') or 'unknown'} app{dies})"
        )
    return lines


def _alarm_lines(found: list[dict[str, Any]]) -> list[str]:
    if not found:
        return ["none in ALARM"]
    return [f"ALARM {a['name']} since {a['since']}: {a['reason']}" for a in found]


def _spend_lines(s: dict[str, Any]) -> list[str]:
    budget = s.get("budget_usd")
    month = f"${s['month_usd']:.2f}" + (f" of ${budget:.2f} budget" if budget else " (no monthly budget set)")
    return [f"today ${s['today_usd']:.2f}, this month {month}"]
