"""Printing a local run for people: the timeline and a summary (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from jada_tools.local.observers import Entry

STYLE = {
    "task": "cyan",
    "session": "white",
    "poll": "yellow",
    "sync": "green",
    "alarm": "magenta",
    "email": "bold red",
    "answer": "bold cyan",
    "error": "red",
    "google": "yellow",
}


def print_timeline(console: Console, timeline: list[Entry]) -> None:
    table = Table(title="Timeline (simulated UTC)", show_lines=False, expand=False)
    table.add_column("time", style="dim", no_wrap=True)
    table.add_column("what", no_wrap=True)
    table.add_column("")
    last_sync = None
    for entry in sorted(timeline, key=lambda e: e.at):
        if entry.kind == "start":
            continue  # the session's end line says it all
        if entry.kind == "sync" and entry.text == last_sync:
            continue  # one line per change of sync outcome keeps the timeline short
        if entry.kind == "sync":
            last_sync = entry.text
        style = STYLE.get(entry.kind, "white")
        table.add_row(f"{entry.at:%m-%d %H:%M}", f"[{style}]{entry.kind}[/]", f"[{style}]{entry.text}[/]")
    console.print(table)


def print_summary(console: Console, report: dict[str, Any]) -> None:
    tasks = Table(title="Tasks")
    for column in ("title", "status", "sessions (turns, outcome)", "parent"):
        tasks.add_column(column)
    titles = {t["id"]: t["title"] for t in report["tasks"]}
    for task in report["tasks"]:
        sessions = ", ".join(f"{s['turns']} {s['outcome'] or 'running'}" for s in task["sessions"]) or "-"
        tasks.add_row(task["title"], task["status"], sessions, titles.get(task["parent_id"] or "", ""))
    console.print(tasks)
    days = ", ".join(f"{day}: {n}" for day, n in report["sessions_by_day"].items()) or "none"
    console.print(f"[bold]Sessions by UTC day:[/] {days}")
    outcomes: dict[str, int] = {}
    for sync in report["syncs"]:
        outcomes[sync["outcome"]] = outcomes.get(sync["outcome"], 0) + 1
    console.print(
        f"[bold]Sheet syncs:[/] {', '.join(f'{k} x{v}' for k, v in outcomes.items()) or 'none (sync off)'}; "
        f"rows in the mirror: {report['sheet_rows']}"
    )
    console.print(f"[bold]Emails to the operator:[/] {len(report['emails'])}")
    for email in report["emails"]:
        console.print(f"  [red]{email['at']}[/] to {email['to']}: [bold]{email['subject']}[/]")
