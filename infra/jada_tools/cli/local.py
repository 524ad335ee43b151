"""`jada local run`, `jada local serve` and `jada demo`: the app offline on a simulated clock (see
jada_tools.local)."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from jada_tools.cli.common import FAILED, fail
from jada_tools.local.endpoint import DEFAULT_PORT

app = typer.Typer(no_args_is_help=True)
DEMO_REPORT = Path("reports/demo-report.json")
#: `jada local serve --speed`: an hour of simulated time per real second at most
MAX_SPEED = 3600


@app.callback()
def local() -> None:
    """Run the synthesized app offline: moto, the real handlers, a simulated clock."""


@app.command("run")
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario JSON (format: docs/contracts.md).")],
    report: Annotated[Path | None, typer.Option("--report", help="Where to write the report JSON.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print the summary only.")] = False,
) -> None:
    """Run SCENARIO offline and write its report."""
    _run(scenario, report or Path("reports") / f"{scenario.stem}-report.json", quiet=quiet)


@app.command("serve")
def serve(
    port: Annotated[
        int,
        typer.Option(
            "--port", min=0, max=65535, help="Port on 127.0.0.1 for the AWS endpoint (0: any free)."
        ),
    ] = DEFAULT_PORT,
    speed: Annotated[
        float,
        typer.Option(
            "--speed", help="Simulated seconds per real second (60: the per-minute poll every second)."
        ),
    ] = 1.0,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            help="Preload a scenario: the clock starts at its start, its tasks and answers "
            "arrive at their times; it runs on past its end.",
        ),
    ] = None,
    log: Annotated[Path, typer.Option("--log", help="Where the handlers' logs go.")] = Path(
        "reports/serve.log"
    ),
) -> None:
    """Keep the local cloud running until Ctrl-C, with an AWS endpoint for the jada commands
    (export the JADA_ENDPOINT line it prints in another terminal)."""
    from jada.errors import ConfigurationError

    from jada_tools.local.endpoint import EndpointError
    from jada_tools.local.engine import LocalCloudError
    from jada_tools.local.scenario import ScenarioError, load_scenario, scenario_warnings
    from jada_tools.local.serve import ServeOptions, stop_on_signals
    from jada_tools.local.serve import serve as run_serve

    if not 0 < speed <= MAX_SPEED:
        fail(f"--speed must be more than 0 and at most {MAX_SPEED}, got {speed:g}")
    loaded = None
    if scenario is not None:
        try:
            loaded = load_scenario(scenario)
        except ScenarioError as exc:
            fail(f"{scenario}: {exc}")
        for warning in scenario_warnings(loaded):
            typer.echo(f"warning: {warning}", err=True)
    console = Console(file=sys.stdout, width=shutil.get_terminal_size((110, 24)).columns, soft_wrap=True)
    stop = threading.Event()
    options = ServeOptions(port=port, speed=speed, scenario=loaded, log_path=log)
    try:
        with stop_on_signals(stop, console):
            summary = run_serve(options, console=console, stop=stop)
    except EndpointError as exc:
        fail(f"{exc}: pass another --port (0 picks a free one)")
    except ConfigurationError as exc:
        fail(f"{scenario or 'cdk.json'}: {exc}")
    except LocalCloudError as exc:
        fail(f"the local cloud stopped: {exc}", FAILED)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    console.print(summary.line(), highlight=False)


def demo(
    report: Annotated[Path, typer.Option("--report", help="Where to write the report JSON.")] = DEMO_REPORT,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print the summary only.")] = False,
) -> None:
    """Run the bundled demo scenario offline (no network) and print its timeline."""
    from jada_tools.local.synth import repo_root

    _run(repo_root() / "examples" / "demo.json", report, quiet=quiet)


def _run(path: Path, report_path: Path, *, quiet: bool) -> None:
    from jada.errors import ConfigurationError

    from jada_tools.local.cloud import run as run_local
    from jada_tools.local.engine import LocalCloudError
    from jada_tools.local.model_choice import model_choice
    from jada_tools.local.report import write_report
    from jada_tools.local.scenario import ScenarioError, load_scenario, scenario_warnings
    from jada_tools.local.synth import base_context, scenario_context
    from jada_tools.local.timeline import print_summary, print_timeline

    console = Console(width=shutil.get_terminal_size((110, 24)).columns)
    try:
        scenario = load_scenario(path)
        choice = model_choice(scenario_context(scenario, base_context()))
    except ScenarioError as exc:  # plain text: the message may quote the file's own `[markup]`
        fail(f"{path}: {exc}")
    except ConfigurationError as exc:
        fail(f"{path}: {exc}")
    for warning in scenario_warnings(scenario):
        typer.echo(f"warning: {warning}", err=True)
    window = f"{scenario.start:%Y-%m-%d %H:%M} to {scenario.end:%Y-%m-%d %H:%M} UTC"
    console.print(f"[bold]jada local[/]: {path.name}, {window}", markup=True, highlight=False)
    typer.echo(choice.line())  # one line, never wrapped at the console's width
    if choice.warning():
        typer.echo(f"warning: {choice.warning()}", err=True)
    started = time.perf_counter()
    try:
        result = run_local(scenario)
    except LocalCloudError as exc:
        fail(f"the local run stopped: {exc}", FAILED)
    if not quiet:
        print_timeline(console, result.timeline)
    print_summary(console, result.report)
    written = write_report(result.report, report_path)
    logs = written.with_suffix(".log")
    logs.write_text(result.logs, encoding="utf-8")
    console.print(f"Report: {written}  Handler logs: {logs}  ({time.perf_counter() - started:.1f} s)")
