"""`jada tasks ...` and `jada quota`: queue, inspect, edit, stop, retry, cancel and unblock agent tasks.

Resource names come from the stack's outputs (`--stack`, default Jada). Bad input (empty or
oversized prompt, unknown status or id, illegal transition, empty answer) prints one `error:`
line on stderr and exits 2 without changing anything. Never imports anthropic or googleapiclient.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import typer
from botocore.exceptions import BotoCoreError, ClientError
from jada import aws
from jada.clock import iso, next_rollover, utc_day, utcnow
from jada.errors import InvalidTaskInput, JadaError
from jada.lifecycle import EDITABLE, TaskStatus
from jada.models import Task, TurnRecord
from jada.orchestration import operator
from jada.orchestration.operator import execution_arn
from jada.settings import Settings
from jada.stores.checkpoints import CheckpointStore
from jada.stores.counters import CounterStore
from jada.stores.tasks import TaskStore

from jada_tools.cli import transcript as transcript_view
from jada_tools.cli.common import AS_JSON, STACK, echo_json, fail, guard, quiet_runtime_logs, text_or_file
from jada_tools.cli.stack import StackOutputs, outputs

app = typer.Typer(no_args_is_help=True)

STATUSES = ", ".join(s.value for s in TaskStatus)
EDITABLE_STATUSES = ", ".join(s.value for s in TaskStatus if s in EDITABLE)
ANSWER_FILE = typer.Option(None, "--answer-file", help="Read the answer from this file.")
PROMPT_FILE = typer.Option(None, "--prompt-file", help="Read the prompt from this file (UTF-8 text).")
#: the final text `jada tasks show` prints before pointing at the transcript
FINAL_TEXT_CHARS = 2_000


def _tasks(stack: str) -> TaskStore:
    return TaskStore(guard(lambda: outputs(stack)["TasksTableName"]))


def _checkpoints(stack: str) -> CheckpointStore:
    """The task history store, with the retention the deployed functions use."""
    out = guard(lambda: outputs(stack))
    table, bucket = guard(lambda: (out["CheckpointsTableName"], out["CheckpointBucketName"]))
    retention = guard(lambda: _deployed_settings(out)).retention_days
    return CheckpointStore(table, bucket, retention_days=retention)


def checkpoints_of(out: StackOutputs) -> CheckpointStore:
    return CheckpointStore(out["CheckpointsTableName"], out["CheckpointBucketName"])


# --- console links ------------------------------------------------------------------------------
def console_link(state_machine_arn: str, execution: str) -> str:
    region = state_machine_arn.split(":")[3]
    arn = execution_arn(state_machine_arn, execution)
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{arn}"


# --- queue ------------------------------------------------------------------------------------
@app.command("add")
def add(
    prompt: str = typer.Argument(None, help="What the agent should do (or use --prompt-file)."),
    *,
    prompt_file: Path = PROMPT_FILE,
    title: str = typer.Option("", "--title", help="A short title (default: the prompt's first line)."),
    priority: int = typer.Option(0, "--priority", help="0-999; higher runs first."),
    stack: str = STACK,
    as_json: bool = AS_JSON,
) -> None:
    """Queue a task; the next poll starts it when the quota and the cap allow."""
    text = text_or_file(prompt, prompt_file, flag="PROMPT", file_flag="--prompt-file", what="prompt")
    store = _tasks(stack)
    task = guard(lambda: operator.add(store, text, utcnow(), title=title, priority=priority))
    if as_json:
        echo_json(task.model_dump(mode="json"))
    else:
        typer.echo(f"queued {task.task_id}: {task.title}")


@app.command(
    "edit", help=f"Change a task's title, prompt or priority while no session runs it ({EDITABLE_STATUSES})."
)
def edit(
    task_id: str,
    *,
    title: str = typer.Option(None, "--title", help="A new title."),
    prompt: str = typer.Option(None, "--prompt", help="A new prompt."),
    prompt_file: Path = PROMPT_FILE,
    priority: int = typer.Option(None, "--priority", help="A new priority, 0-999; higher runs first."),
    stack: str = STACK,
    as_json: bool = AS_JSON,
) -> None:
    new_prompt = None
    if prompt is not None or prompt_file is not None:
        new_prompt = text_or_file(
            prompt, prompt_file, flag="--prompt", file_flag="--prompt-file", what="prompt"
        )
    store = _tasks(stack)
    task = guard(
        lambda: operator.edit(store, task_id, utcnow(), title=title, prompt=new_prompt, priority=priority)
    )
    if as_json:
        echo_json(task.model_dump(mode="json"))
    else:
        typer.echo(f"{task.task_id} updated: {task.title} (priority {task.priority}, {task.status.value})")


def _parse_status(status: str | None) -> TaskStatus | None:
    if status is None:
        return None
    try:
        return TaskStatus(status.strip().lower())
    except ValueError:
        raise InvalidTaskInput(f"unknown status {status!r}; use one of: {STATUSES}") from None


def _reason(task: Task) -> str:
    if task.status is TaskStatus.BLOCKED:
        return task.blocked_reason or ""
    if task.status is TaskStatus.FAILED:
        return task.failure_reason or ""
    return ""


@app.command("list")
def list_tasks(
    status: str = typer.Option(None, "--status", help=f"Only tasks with this status: {STATUSES}."),
    limit: int = typer.Option(20, "--limit", min=1, max=1000, help="At most this many tasks."),
    before: str = typer.Option(
        None,
        "--before",
        help="Start after this task id (the next page), or at tasks created before an ISO time.",
    ),
    stack: str = STACK,
    as_json: bool = AS_JSON,
) -> None:
    """Tasks, newest first, a page at a time; blocked and failed ones with their reason.

    When more tasks remain, the last line (on stderr with --json) is the command for the next page:
    `jada tasks list --before ID`."""
    wanted = guard(lambda: _parse_status(status))
    store = _tasks(stack)
    page = guard(lambda: store.list_newest(limit, status=wanted, before=before))
    more = None
    if page.next_before:
        more = f"more: jada tasks list --before {page.next_before}" + (
            f" --status {wanted}" if wanted else ""
        )
        more += f" --limit {limit}" if limit != 20 else ""
    if as_json:
        echo_json([_summary(t) for t in page.tasks])
        if more:
            typer.echo(more, err=True)
        return
    if not page.tasks:
        typer.echo(
            "no tasks" + (f" with status {wanted}" if wanted else "") + (" before that" if before else "")
        )
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table("id", "status", "pri", "sessions", "created", "title", "reason", box=None)
    for t in page.tasks:
        cells = (
            t.task_id,
            t.status.value,
            str(t.priority),
            str(t.session_count),
            t.created_at,
            t.title,
            _reason(t),
        )
        table.add_row(*(Text(cell) for cell in cells))  # plain text: titles may hold `[markup]`
    Console(width=max(120, shutil.get_terminal_size((200, 24)).columns)).print(table)
    if more:
        typer.echo(more)


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


# --- inspect ----------------------------------------------------------------------------------
@app.command("show")
def show(task_id: str, stack: str = STACK, as_json: bool = AS_JSON) -> None:
    """A task's status, sessions, cost, summary and the agent's final text.

    Also its handoff note, the operator's answers and the console link of every session."""
    out = guard(lambda: outputs(stack))
    task = guard(lambda: TaskStore(out["TasksTableName"]).get(task_id))
    machine = out.values.get("StateMachineArn", "")
    links = {s.execution: console_link(machine, s.execution) for s in task.session_list()} if machine else {}
    final, final_problem = _final_text(out, task)
    if as_json:
        data = task.model_dump(mode="json")
        data["console_links"] = links
        data["final_text"] = final
        echo_json(data)
        return
    typer.echo(_describe(task, links, final, final_problem))


def _final_text(out: StackOutputs, task: Task) -> tuple[str | None, str | None]:
    """The last assistant text of the task's last session, or why it cannot be read."""
    sessions = task.session_list()
    if not sessions:
        return None, None
    try:
        records = checkpoints_of(out).load_session(task.task_id, sessions[-1].number, strict=False)
    except (JadaError, ClientError, BotoCoreError) as exc:
        return None, f"unknown: {exc}"
    return transcript_view.final_text(records), None


def _describe(task: Task, links: dict[str, str], final: str | None, final_problem: str | None) -> str:
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
        outcome = s.outcome.value if s.outcome else ("stopping" if s.stop_requested_at else "running")
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
    if final_problem:
        lines.append(f"  final text: {final_problem}")
    elif final is not None:
        shown = final if len(final) <= FINAL_TEXT_CHARS else final[:FINAL_TEXT_CHARS] + " …"
        lines.append("  final text (the agent's last words):")
        lines += [f"    {line}" for line in shown.splitlines()]
    lines.append(f"  handoff note: {task.handoff_note or '(none)'}")
    for a in task.answers:
        lines.append(f"  answer ({a.at}): {a.answer}")
    if task.sessions:
        lines.append(f"  conversation: jada tasks transcript {task.task_id}")
    if task.status is TaskStatus.BLOCKED:
        lines.append(f'  answer it: jada tasks unblock {task.task_id} --answer "..."')
    if task.status is TaskStatus.RUNNING:
        lines.append(f"  stop it:   jada tasks stop {task.task_id} [--cancel]")
    return "\n".join(lines)


@app.command("transcript")
def transcript(
    task_id: str,
    session: int = typer.Option(None, "--session", min=1, help="Only this session (1, 2, ...)."),
    full: bool = typer.Option(
        False, "--full", help=f"Show long values whole (else cut at {transcript_view.CUT})."
    ),
    stack: str = STACK,
    as_json: bool = AS_JSON,
) -> None:
    """The conversation of a task, by session and turn.

    The agent's text, its tool calls with their input, tool results and errors, jada's own notes
    (task opening, resume opening with the operator's answer, handoff request), other blocks by
    type, and each turn's stop reason, tokens and cost. Long values are cut unless --full;
    --json gives the same as structured data, values whole."""
    out = guard(lambda: outputs(stack))
    task = guard(lambda: TaskStore(out["TasksTableName"]).get(task_id))
    if session is not None and str(session) not in task.sessions:
        have = ", ".join(str(s.number) for s in task.session_list()) or "none"
        fail(f"task {task_id} has no session {session} (its sessions: {have})")
    store = guard(lambda: checkpoints_of(out))
    records: list[TurnRecord] = guard(
        lambda: (
            store.load_session(task_id, session, strict=False)
            if session is not None
            else store.load_task(task_id, strict=False)
        )
    )
    data = transcript_view.transcript(task, records, session)
    if as_json:
        echo_json(data)
        return
    if not records:
        why = (
            "it has not run yet"
            if not task.sessions
            else "its checkpoints have expired or were never written"
        )
        typer.echo(
            f"task {task_id} has no stored turns"
            + (f" in session {session}" if session else "")
            + f" ({why})"
        )
        return
    from rich.console import Console

    console = Console(width=shutil.get_terminal_size((120, 24)).columns, highlight=False)
    transcript_view.render(console, data, full=full)


# --- change -----------------------------------------------------------------------------------
@app.command("stop")
def stop(
    task_id: str,
    cancel_after: bool = typer.Option(
        False, "--cancel", help="Then cancel the task instead of letting it resume."
    ),
    stack: str = STACK,
    as_json: bool = AS_JSON,
) -> None:
    """Stop a running task's session now; the task resumes at the next poll unless --cancel.

    The session is recorded as stopped by the operator (outcome `stopped`), its concurrency slot is
    freed (the day's quota stays spent: it ran), and the task is suspended: the next poll resumes
    it from its checkpoint. With --cancel it is cancelled instead."""
    out = guard(lambda: outputs(stack))
    tasks = TaskStore(guard(lambda: out["TasksTableName"]))
    counters = CounterStore(guard(lambda: out["CountersTableName"]))
    machine = guard(lambda: out["StateMachineArn"])
    with quiet_runtime_logs():
        result = guard(
            lambda: operator.stop(
                task_id,
                utcnow(),
                tasks=tasks,
                counters=counters,
                checkpoints=_checkpoints(stack),
                sfn=aws.client("stepfunctions"),
                state_machine_arn=machine,
                cancel_after=cancel_after,
            )
        )
    status = result.task.status.value
    if as_json:
        echo_json(
            {"task_id": task_id, "execution": result.execution or None, "outcome": result.outcome,
             "status": status}
        )  # fmt: skip
        return
    if not result.execution:
        typer.echo(f"{task_id} was not running; it is cancelled")
    elif result.outcome != "stopped":
        typer.echo(f"{result.execution} had already ended ({result.outcome}); {task_id} is {status}")
    elif result.task.status is TaskStatus.SUSPENDED:
        typer.echo(
            f"stopped {result.execution}; {task_id} is suspended and resumes at the next poll "
            f"(to drop it: jada tasks cancel {task_id})"
        )
    else:
        typer.echo(f"stopped {result.execution}; {task_id} is {status}")


@app.command("retry")
def retry(task_id: str, stack: str = STACK) -> None:
    """A failed task back to pending (fresh sessions)."""
    store, history = _tasks(stack), _checkpoints(stack)
    task = guard(lambda: operator.retry(store, task_id, utcnow(), checkpoints=history))
    typer.echo(f"{task.task_id} is pending again")


@app.command("cancel")
def cancel(task_id: str, stack: str = STACK) -> None:
    """Cancel a pending, suspended or blocked task (a running one: jada tasks stop ID --cancel)."""
    store, history = _tasks(stack), _checkpoints(stack)
    task = guard(lambda: operator.cancel(store, task_id, utcnow(), checkpoints=history))
    typer.echo(f"{task.task_id} is cancelled")


@app.command("unblock")
def unblock(
    task_id: str,
    answer: str = typer.Option(None, "--answer", help="The answer the agent gets when it resumes."),
    answer_file: Path = ANSWER_FILE,
    stack: str = STACK,
) -> None:
    """Answer a blocked task: it goes back to pending and resumes from its checkpoint with the answer."""
    text = text_or_file(answer, answer_file, flag="--answer TEXT", file_flag="--answer-file", what="answer")
    store = _tasks(stack)
    task = guard(lambda: operator.unblock(store, task_id, text, utcnow()))
    typer.echo(f"{task.task_id} is pending; the next session starts with your answer")


# --- quota ------------------------------------------------------------------------------------
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
    False,
    "--resume",
    help="Lift the pause of new sessions (the Anthropic spend limit, or the monthly budget: that one "
    "comes back when the next session ends while the month's spend is still at or over the budget).",
)


def quota(stack: str = STACK, as_json: bool = AS_JSON, resume: bool = RESUME) -> None:
    """Today's sessions (UTC day) against the quota, sessions running, the next rollover, the
    month's model spend against the budget, and any pause of new sessions."""
    from jada.orchestration.budget import pause_in_force
    from jada.stores.counters import BUDGET, month_of

    now = utcnow()
    out = guard(lambda: outputs(stack))
    counters = CounterStore(guard(lambda: out["CountersTableName"]))
    settings = guard(lambda: _deployed_settings(out))
    month = month_of(now)
    if resume:
        lifted = guard(lambda: counters.pause(now))
        guard(counters.resume_sessions)
        if lifted is None:
            typer.echo("sessions were not paused")
            return
        typer.echo("sessions resumed: the next poll starts them")
        spent = guard(lambda: counters.spend(month))
        budget = settings.monthly_budget_usd
        if lifted.kind == BUDGET and budget and spent >= budget:
            typer.echo(
                f"note: {month}'s spend (${spent:.2f}) is still at or over the budget (${budget:.2f}): the "
                "next session to end pauses new sessions again; raise the budget to go on "
                "(cdk deploy -c monthlyBudgetUsd=<USD>)"
            )
        return
    used = guard(lambda: counters.sessions_used(utc_day(now)))
    running = guard(lambda: counters.slot_holders(now))
    pause = guard(lambda: pause_in_force(counters, settings, now))
    paused = pause.describe() if pause else None
    spent = guard(lambda: counters.spend(month))
    budget = settings.monthly_budget_usd
    data = {
        "day": utc_day(now).isoformat(),
        "used": used,
        "limit": settings.sessions_per_day,
        "left": max(0, settings.sessions_per_day - used),
        "running": sorted(running),
        "max_concurrent_sessions": settings.max_concurrent_sessions,
        "next_rollover": iso(next_rollover(now)),
        "paused": paused,
        "pause_kind": pause.kind if pause else None,
        "month": month,
        "month_spend_usd": round(spent, 4),
        "monthly_budget_usd": budget or None,
        "budget_used_pct": round(100 * spent / budget, 1) if budget else None,
    }
    if as_json:
        echo_json(data)
        return
    typer.echo(
        f"{data['day']} (UTC): {used} of {data['limit']} sessions used, {data['left']} left; "
        f"{len(running)} of {data['max_concurrent_sessions']} running\n"
        f"quota renews at {data['next_rollover']}"
    )
    if budget:
        typer.echo(
            f"{month} model spend: ${spent:.2f} of the ${budget:.2f} budget ({data['budget_used_pct']}%)"
        )
    else:
        typer.echo(f"{month} model spend: ${spent:.2f} (no monthly budget: monthlyBudgetUsd is 0)")
    if pause is not None and pause.kind == BUDGET:
        typer.echo(
            f"new sessions are PAUSED: {paused}\n(raise the budget: cdk deploy -c monthlyBudgetUsd=<USD>; "
            "or `jada quota --resume` until the next session ends)"
        )
    elif paused:
        typer.echo(f"new sessions are PAUSED: {paused}\n(`jada quota --resume` once the limit is raised)")
