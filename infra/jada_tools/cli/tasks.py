"""`jada tasks ...` and `jada quota`: queue, inspect, retry, cancel and unblock agent tasks.

Resource names come from the stack's outputs (`--stack`, default Jada). Bad input (empty or
oversized prompt, unknown status or id, illegal transition, empty answer) prints one clear line
on stderr and exits 2 without changing anything. Never imports anthropic or googleapiclient.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from botocore.exceptions import BotoCoreError, ClientError
from jada import aws
from jada.clock import iso, next_rollover, utc_day, utcnow
from jada.errors import IllegalTransition, InvalidTaskInput, JadaError, TaskNotFound
from jada.lifecycle import TaskStatus
from jada.models import Task
from jada.orchestration import operator
from jada.settings import Settings
from jada.stores.counters import CounterStore
from jada.stores.tasks import TaskStore

from jada_tools.cli.stack import DEFAULT_STACK, StackOutputs, outputs

app = typer.Typer(no_args_is_help=True)

STACK = typer.Option(DEFAULT_STACK, "--stack", help="The deployed stack's name.")
AS_JSON = typer.Option(False, "--json", help="Print JSON instead of text.")
ANSWER_FILE = typer.Option(None, "--answer-file", help="Read the answer from this file.")
INPUT_ERRORS = (InvalidTaskInput, TaskNotFound, IllegalTransition)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _run(action: Any) -> Any:
    """Run an action; named input errors exit 2, configuration and AWS errors exit 1."""
    try:
        return action()
    except INPUT_ERRORS as exc:
        raise _fail(str(exc), 2) from None
    except (JadaError, ClientError, BotoCoreError) as exc:
        raise _fail(str(exc), 1) from None


def _tasks(stack: str) -> TaskStore:
    return TaskStore(_run(lambda: outputs(stack)["TasksTableName"]))


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


# --- console links ------------------------------------------------------------------------------
def execution_arn(state_machine_arn: str, execution: str) -> str:
    # arn:aws:states:<region>:<account>:stateMachine:<name> -> ...:execution:<name>:<execution>
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{execution}"


def console_link(state_machine_arn: str, execution: str) -> str:
    region = state_machine_arn.split(":")[3]
    arn = execution_arn(state_machine_arn, execution)
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{arn}"


# --- commands -------------------------------------------------------------------------------
@app.command("add")
def add(
    prompt: str = typer.Argument(..., help="What the agent should do."),
    title: str = typer.Option("", "--title", help="A short title (default: the prompt's first line)."),
    priority: int = typer.Option(0, "--priority", help="0-999; higher runs first."),
    stack: str = STACK,
    as_json: bool = AS_JSON,
) -> None:
    """Queue a task; the next poll starts it when the quota and the cap allow."""
    store = _tasks(stack)
    task = _run(lambda: operator.add(store, prompt, utcnow(), title=title, priority=priority))
    if as_json:
        _echo_json(task.model_dump(mode="json"))
    else:
        typer.echo(f"queued {task.task_id}: {task.title}")


def _parse_status(status: str | None) -> TaskStatus | None:
    if status is None:
        return None
    try:
        return TaskStatus(status.strip().lower())
    except ValueError:
        raise InvalidTaskInput(
            f"unknown status {status!r}; use one of: {', '.join(s.value for s in TaskStatus)}"
        ) from None


def _reason(task: Task) -> str:
    if task.status is TaskStatus.BLOCKED:
        return task.blocked_reason or ""
    if task.status is TaskStatus.FAILED:
        return task.failure_reason or ""
    return ""


@app.command("list")
def list_tasks(
    status: str = typer.Option(None, "--status", help="Only tasks with this status (e.g. blocked)."),
    limit: int = typer.Option(100, "--limit", min=1, max=1000),
    stack: str = STACK,
    as_json: bool = AS_JSON,
) -> None:
    """Tasks, newest last; blocked and failed ones with their reason."""
    store = _tasks(stack)
    wanted = _run(lambda: _parse_status(status))
    found = _run(lambda: store.list_by_status(wanted, limit) if wanted else store.list_all(limit))
    if as_json:
        _echo_json([_summary(t) for t in found])
        return
    if not found:
        typer.echo("no tasks" + (f" with status {wanted}" if wanted else ""))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table("id", "status", "pri", "sessions", "title", "reason", box=None)
    for t in found:
        cells = (t.task_id, t.status.value, str(t.priority), str(t.session_count), t.title, _reason(t))
        table.add_row(*(Text(cell) for cell in cells))  # plain text: titles may hold `[markup]`
    Console(width=200).print(table)


def _summary(task: Task) -> dict[str, Any]:
    return {
        "id": task.task_id,
        "title": task.title,
        "status": task.status.value,
        "priority": task.priority,
        "sessions": task.session_count,
        "reason": _reason(task) or None,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }


@app.command("show")
def show(task_id: str, stack: str = STACK, as_json: bool = AS_JSON) -> None:
    """Status, sessions (outcome, turns), tokens and cost, handoff note, answers, console links."""
    out = _run(lambda: outputs(stack))
    task = _run(lambda: TaskStore(out["TasksTableName"]).get(task_id))
    machine = out.values.get("StateMachineArn", "")
    links = {s.execution: console_link(machine, s.execution) for s in task.session_list()} if machine else {}
    if as_json:
        data = task.model_dump(mode="json")
        data["console_links"] = links
        _echo_json(data)
        return
    typer.echo(_describe(task, links))


def _describe(task: Task, links: dict[str, str]) -> str:
    u = task.usage
    lines = [
        f"{task.task_id}  {task.title}",
        f"  status:   {task.status.value}" + (f" ({_reason(task)})" if _reason(task) else ""),
        f"  priority: {task.priority}   created {task.created_at}   updated {task.updated_at}",
        f"  usage:    {u.input_tokens} input, {u.output_tokens} output, {u.cache_write_tokens} cache-write, "
        f"{u.cache_read_tokens} cache-read tokens; ${u.cost_usd:.4f}",
    ]
    if task.parent_id:
        lines.append(f"  parent:   {task.parent_id}")
    if task.children:
        lines.append(f"  children: {', '.join(task.children)}")
    lines.append(f"  sessions: {task.session_count}")
    for s in task.session_list():
        outcome = s.outcome.value if s.outcome else "running"
        lines.append(
            f"    #{s.number} {s.execution}: {outcome}, {s.turns} turns, "
            f"{s.started_at} -> {s.ended_at or '...'}"
            + (f", ${s.usage.cost_usd:.4f}" if s.usage.cost_usd else "")
            + (f"\n       {s.reason}" if s.reason else "")
        )
        if s.execution in links:
            lines.append(f"       {links[s.execution]}")
    if task.summary:
        lines.append(f"  summary:  {task.summary}")
    lines.append(f"  handoff note: {task.handoff_note or '(none)'}")
    for a in task.answers:
        lines.append(f"  answer ({a.at}): {a.answer}")
    if task.status is TaskStatus.BLOCKED:
        lines.append(f'  answer it: jada tasks unblock {task.task_id} --answer "..."')
    return "\n".join(lines)


@app.command("retry")
def retry(task_id: str, stack: str = STACK) -> None:
    """A failed task back to pending (fresh sessions)."""
    store = _tasks(stack)
    task = _run(lambda: operator.retry(store, task_id, utcnow()))
    typer.echo(f"{task.task_id} is pending again")


@app.command("cancel")
def cancel(task_id: str, stack: str = STACK) -> None:
    """Cancel a pending, suspended or blocked task (a running session must end first)."""
    store = _tasks(stack)
    task = _run(lambda: operator.cancel(store, task_id, utcnow()))
    typer.echo(f"{task.task_id} is cancelled")


@app.command("unblock")
def unblock(
    task_id: str,
    answer: str = typer.Option(None, "--answer", help="The answer the agent gets when it resumes."),
    answer_file: Path = ANSWER_FILE,
    stack: str = STACK,
) -> None:
    """Answer a blocked task: it goes back to pending and resumes from its checkpoint with the answer."""
    if (answer is None) == (answer_file is None):
        raise _fail("give the answer with exactly one of --answer TEXT or --answer-file FILE", 2)
    if answer_file is not None:
        try:
            answer = answer_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot read {answer_file}: {exc.strerror}", 2) from None
        except UnicodeDecodeError as exc:
            raise _fail(f"cannot read {answer_file}: not UTF-8 text (byte {exc.start})", 2) from None
    store = _tasks(stack)
    task = _run(lambda: operator.unblock(store, task_id, answer or "", utcnow()))
    typer.echo(f"{task.task_id} is pending; the next session starts with your answer")


def _deployed_settings(out: StackOutputs) -> Settings:
    """The quota knobs the poll function runs with (its environment); defaults if unreadable."""
    name = out.values.get("PollFunctionName")
    if not name:
        return Settings.from_env({})
    try:
        config = aws.client("lambda").get_function_configuration(FunctionName=name)
    except (ClientError, BotoCoreError):
        return Settings.from_env({})
    return Settings.from_env(config.get("Environment", {}).get("Variables", {}))


RESUME = typer.Option(
    False, "--resume", help="Lift the pause set when the Anthropic spend limit was reached."
)


def quota(stack: str = STACK, as_json: bool = AS_JSON, resume: bool = RESUME) -> None:
    """Today's sessions (UTC day) against the quota, sessions running, and the next rollover."""
    now = utcnow()
    out = _run(lambda: outputs(stack))
    counters = CounterStore(_run(lambda: out["CountersTableName"]))
    if resume:
        lifted = _run(counters.resume_sessions)
        typer.echo("sessions resumed: the next poll starts them" if lifted else "sessions were not paused")
        return
    settings = _run(lambda: _deployed_settings(out))
    used = _run(lambda: counters.sessions_used(utc_day(now)))
    running = _run(lambda: counters.slot_holders(now))
    paused = _run(lambda: counters.sessions_paused(now))
    data = {
        "day": utc_day(now).isoformat(),
        "used": used,
        "limit": settings.sessions_per_day,
        "left": max(0, settings.sessions_per_day - used),
        "running": sorted(running),
        "max_concurrent_sessions": settings.max_concurrent_sessions,
        "next_rollover": iso(next_rollover(now)),
        "paused": paused,
    }
    if as_json:
        _echo_json(data)
        return
    typer.echo(
        f"{data['day']} (UTC): {used} of {data['limit']} sessions used, {data['left']} left; "
        f"{len(running)} of {data['max_concurrent_sessions']} running\n"
        f"quota renews at {data['next_rollover']}"
    )
    if paused:
        typer.echo(f"new sessions are PAUSED: {paused}\n(`jada quota --resume` once the limit is raised)")
