"""`jada`: the operator's command line."""

from __future__ import annotations

import typer

from jada_tools.cli import auth, endpoint, local, sync, tasks
from jada_tools.cli.common import describe

app = typer.Typer(
    name="jada",
    help="Operate jada: tasks and quota, the port sheet sync, and the local cloud.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(tasks.app, name="tasks", help="Queue, inspect, retry, cancel and unblock agent tasks.")
app.command("quota", help="Today's session quota and the next rollover.")(tasks.quota)
app.add_typer(sync.app, name="sync", help="Run the port sheet sync now, or see its status.")
app.add_typer(auth.app, name="auth", help="Re-authenticate the Google account the sheet sync uses.")
app.add_typer(local.app, name="local", help="Run the app offline on a simulated clock.")
app.command("demo", help="Run the bundled demo scenario offline and print its timeline.")(local.demo)


def main() -> None:
    try:
        endpoint.configure()  # JADA_ENDPOINT: every AWS client goes to the local cloud
        app()
    except Exception as exc:  # the last line of defence: one `error:` line, never a traceback
        message, code = describe(exc)
        typer.echo(f"error: {message}", err=True)
        raise SystemExit(code) from None
