"""`jada`: the operator's command line."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import typer

from jada_tools.cli import auth, cost, endpoint, local, sites, status, sync, tasks
from jada_tools.cli.common import BAD_INPUT, INTERRUPTED, describe

app = typer.Typer(
    name="jada",
    help="Operate jada: tasks and quota, the port sheet sync, and the local cloud.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(
    tasks.app, name="tasks", help="Queue, inspect, edit, stop, retry, cancel and unblock agent tasks."
)
app.command("quota", help="Today's session quota and the next rollover.")(tasks.quota)
app.command("status", help="One screen: poll, quota, running and blocked tasks, sync, alarms, spend.")(
    status.status
)
app.add_typer(sync.app, name="sync", help="Run the port sheet sync now, or see its status.")
app.add_typer(auth.app, name="auth", help="Re-authenticate the Google account the sheet sync uses.")
app.add_typer(cost.app, name="cost", help="Spend so far, and what the deployment costs (estimate).")
app.add_typer(sites.app, name="sites", help="The sites the agent deploys: import, diff, history, rollback.")
app.add_typer(sites.workspace_app, name="workspace", help="Work on a site's sources from this machine.")
app.add_typer(local.app, name="local", help="Run the app offline on a simulated clock.")
app.command("demo", help="Run the bundled demo scenario offline and print its timeline.")(local.demo)

REGION = typer.Option(
    None,
    "--region",
    metavar="REGION",
    help="The AWS region of every call (default: AWS_REGION, AWS_DEFAULT_REGION, or your profile's).",
)


@app.callback()
def root(region: str | None = REGION) -> None:
    """Operate jada: tasks and quota, the port sheet sync, and the local cloud."""
    if os.environ.get(endpoint.ENV):
        if region:
            typer.echo(
                f"warning: --region is ignored: {endpoint.ENV} sets the local cloud's region", err=True
            )
        return
    use_region(region or os.environ.get("AWS_REGION"))


def use_region(region: str | None) -> None:
    """Every boto3 client made from here on uses `region` (botocore itself reads only
    AWS_DEFAULT_REGION, so AWS_REGION is honoured through this too)."""
    if not region:
        return
    from jada import aws

    from jada_tools.cli.stack import outputs

    os.environ["AWS_DEFAULT_REGION"] = region
    aws.reset()
    outputs.cache_clear()


def main(argv: list[str] | None = None) -> None:
    """The `jada` entry point: usage errors and anything uncaught become one `error:` line."""
    try:
        endpoint.configure()  # JADA_ENDPOINT: every AWS client goes to the local cloud
        code = app(args=argv, prog_name="jada", standalone_mode=False)
    except typer.TyperException as exc:  # typer's own click: usage errors, bad parameters
        report_usage_error(exc)
    except typer.Abort:
        typer.echo("error: interrupted", err=True)
        raise SystemExit(INTERRUPTED) from None
    except (Exception, KeyboardInterrupt) as exc:  # the last line of defence: never a traceback
        message, code = describe(exc)
        typer.echo(f"error: {message}", err=True)
        raise SystemExit(code) from None
    sys.exit(code if isinstance(code, int) else 0)


def report_usage_error(exc: typer.TyperException) -> NoReturn:
    code = int(getattr(exc, "exit_code", BAD_INPUT))
    if type(exc).__name__ == "NoArgsIsHelpError":  # typer prints the help while raising it
        message = exc.format_message()
        if message.strip():
            typer.echo(message)
        raise SystemExit(code)
    typer.echo(f"error: {exc.format_message()}", err=True)
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        typer.echo(f"(see: {ctx.command_path} --help)", err=True)
    raise SystemExit(code)
