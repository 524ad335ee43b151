"""What every `jada` command shares: the `--stack` and `--json` options, JSON output, and one way
to fail.

Errors: every message starts with `error:` on stderr. Bad input and missing configuration exit 2
(with the fix, e.g. the region hint); AWS or other unexpected failures exit 1. No tracebacks:
`jada_tools.cli.main.main` turns anything uncaught into one `error:` line as well.

    @app.command("thing")
    def thing(stack: str = STACK, as_json: bool = AS_JSON) -> None:
        value = guard(lambda: do_it(outputs(stack)))   # named errors become exit 2 / exit 1
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError
from jada.errors import ConfigurationError, IllegalTransition, InvalidTaskInput, JadaError, TaskNotFound
from jada.telemetry import STACK_NAME

T = TypeVar("T")

STACK = typer.Option(STACK_NAME, "--stack", help="The deployed stack's name.")
AS_JSON = typer.Option(False, "--json", help="Print JSON instead of text.")

#: exit codes
BAD_INPUT, FAILED = 2, 1
#: errors that mean the user asked for something invalid or left something unconfigured
INPUT_ERRORS: tuple[type[Exception], ...] = (
    InvalidTaskInput,
    TaskNotFound,
    IllegalTransition,
    ConfigurationError,
)
REGION_HINT = "no AWS region is set: export AWS_REGION=<region> (or pass --region), or configure a profile"
CREDENTIALS_HINT = "no AWS credentials found: configure a profile (aws configure) or export AWS_PROFILE"


class CliError(Exception):
    """A failure with the message and exit code to report (raised by tooling code)."""

    def __init__(self, message: str, code: int = BAD_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    """Print `error: message` on stderr and exit with `code`."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def describe(exc: BaseException) -> tuple[str, int]:
    """The message and exit code for an error (shared by `guard` and `main`)."""
    if isinstance(exc, CliError):
        return exc.message, exc.code
    if isinstance(exc, NoRegionError):
        return REGION_HINT, BAD_INPUT
    if isinstance(exc, NoCredentialsError):
        return CREDENTIALS_HINT, BAD_INPUT
    if isinstance(exc, INPUT_ERRORS):
        return str(exc), BAD_INPUT
    if isinstance(exc, JadaError):
        return str(exc), FAILED
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"AWS said {error.get('Code', 'error')}: {error.get('Message', exc)}", FAILED
    if isinstance(exc, BotoCoreError):
        return f"AWS call failed: {exc}", FAILED
    return f"unexpected failure: {type(exc).__name__}: {exc}", FAILED


def guard(action: Callable[[], T]) -> T:
    """Run `action`; a known error becomes one `error:` line and its exit code."""
    try:
        return action()
    except (CliError, JadaError, ClientError, BotoCoreError) as exc:
        message, code = describe(exc)
        fail(message, code)


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))
