"""`jada local run` and `jada demo`: the app offline on a simulated clock (see jada_tools.local)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from jada_tools.cli.common import BAD_INPUT, FAILED, fail

app = typer.Typer(no_args_is_help=True)
DEMO_REPORT = Path("reports/demo-report.json")


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


def demo(
    report: Annotated[Path, typer.Option("--report", help="Where to write the report JSON.")] = DEMO_REPORT,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print the summary only.")] = False,
) -> None:
    """Run the bundled demo scenario offline (no network) and print its timeline."""
    from jada_tools.local.synth import repo_root

    _run(repo_root() / "examples" / "demo.json", report, quiet=quiet)


def _run(path: Path, report_path: Path, *, quiet: bool) -> None:
    from jada_tools.local.cloud import run as run_local
    from jada_tools.local.engine import LocalCloudError
    from jada_tools.local.report import write_report
    from jada_tools.local.scenario import ScenarioError, load_scenario
    from jada_tools.local.timeline import print_summary, print_timeline

    console = Console(width=shutil.get_terminal_size((110, 24)).columns)
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:  # plain text: the message may quote the file's own `[markup]`
        fail(f"{path}: {exc}", BAD_INPUT)
    window = f"{scenario.start:%Y-%m-%d %H:%M} to {scenario.end:%Y-%m-%d %H:%M} UTC"
    console.print(f"[bold]jada local[/]: {path.name}, {window}")
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
