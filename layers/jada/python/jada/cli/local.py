"""`jada local` commands. (Being built.)"""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


def demo() -> None:
    typer.echo("jada demo is not built yet (issue 6).")
    raise typer.Exit(1)
