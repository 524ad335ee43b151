"""What every `jada` command shares: the `--stack` and `--json` options, JSON output, reading a
text file given on the command line, and one way to fail.

Errors: every message starts with `error:` on stderr. Bad input and missing configuration exit 2
(with the fix, e.g. the region hint); AWS or other unexpected failures exit 1. No tracebacks:
`jada_tools.cli.main.main` turns anything uncaught (usage errors included) into one `error:` line.

    @app.command("thing")
    def thing(stack: str = STACK, as_json: bool = AS_JSON) -> None:
        value = guard(lambda: do_it(outputs(stack)))   # named errors become exit 2 / exit 1
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)
from jada.errors import ConfigurationError, IllegalTransition, InvalidTaskInput, JadaError, TaskNotFound
from jada.telemetry import SERVICE, STACK_NAME

T = TypeVar("T")

STACK = typer.Option(STACK_NAME, "--stack", help="The deployed stack's name.")
AS_JSON = typer.Option(False, "--json", help="Print JSON instead of text.")

#: exit codes
BAD_INPUT, FAILED, INTERRUPTED = 2, 1, 130
#: errors that mean the user asked for something invalid or left something unconfigured
INPUT_ERRORS: tuple[type[Exception], ...] = (
    InvalidTaskInput,
    TaskNotFound,
    IllegalTransition,
    ConfigurationError,
)
REGION_HINT = (
    "no AWS region is set: pass --region REGION (e.g. jada --region eu-west-1 ...) or export "
    "AWS_REGION=REGION, or set a region in your AWS profile"
)
CREDENTIALS_HINT = (
    "no AWS credentials found: configure a profile (aws configure) and export AWS_PROFILE=NAME, "
    "or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
)
#: AWS error codes that mean a resource named by the configuration does not exist
MISSING_CODES = {
    "ValidationError",
    "ResourceNotFoundException",
    "ExecutionDoesNotExist",
    "StateMachineDoesNotExist",
}
STACK_HINT = "deploy the stack, or pass --stack NAME and --region REGION for the one you deployed"


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


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def describe(exc: BaseException) -> tuple[str, int]:
    """The message and exit code for an error (shared by `guard` and `main`)."""
    if isinstance(exc, CliError):
        return exc.message, exc.code
    for link in _chain(exc):  # a region or credentials problem, however deeply wrapped
        if isinstance(link, NoRegionError):
            return REGION_HINT, BAD_INPUT
        if isinstance(link, NoCredentialsError | PartialCredentialsError):
            return CREDENTIALS_HINT, BAD_INPUT
    if isinstance(exc, ConfigurationError) and _missing(exc):
        return f"{exc}; {STACK_HINT}", BAD_INPUT
    if isinstance(exc, INPUT_ERRORS):
        return str(exc), BAD_INPUT
    if isinstance(exc, JadaError):
        return str(exc), FAILED
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"AWS said {error.get('Code', 'error')}: {error.get('Message', exc)}", FAILED
    if isinstance(exc, EndpointConnectionError):
        return f"cannot reach AWS: {exc} (check the network, --region, AWS_ENDPOINT_URL)", FAILED
    if isinstance(exc, BotoCoreError):
        return f"AWS call failed: {exc}", FAILED
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", INTERRUPTED
    return f"unexpected failure: {type(exc).__name__}: {exc}", FAILED


def _missing(exc: BaseException) -> bool:
    cause = exc.__cause__
    return isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") in MISSING_CODES


def guard(action: Callable[[], T]) -> T:
    """Run `action`; a known error becomes one `error:` line and its exit code."""
    try:
        return action()
    except (CliError, JadaError, ClientError, BotoCoreError) as exc:
        message, code = describe(exc)
        fail(message, code)


def read_text(path: Path, what: str = "file") -> str:
    """A text file named on the command line, or exit 2 saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"cannot read the {what} {path}: it is not UTF-8 text")
    except OSError as exc:
        fail(f"cannot read the {what} {path}: {exc.strerror or exc}")


def text_or_file(text: str | None, path: Path | None, *, flag: str, file_flag: str, what: str) -> str:
    """Exactly one of a text given inline and a file holding it."""
    if (text is None) == (path is None):
        fail(f"give the {what} with exactly one of {flag} or {file_flag} FILE")
    return read_text(path, what) if path is not None else str(text)


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


class _CurrentStdout(io.TextIOBase):
    """Writes to whatever sys.stdout is at the time (a logger keeps the stream it was made with)."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        target = sys.stdout if sys.stdout is not self else sys.__stdout__
        return target.write(text) if target is not None else len(text)


@contextlib.contextmanager
def quiet_runtime_logs() -> Iterator[None]:
    """Run runtime code (e.g. session end) inside a command: its logger writes JSON lines to stdout
    (CloudWatch Logs in Lambda), which would mix with the command's output. While the block runs,
    its info lines are dropped and its warnings become `warning:` lines on stderr."""
    from jada.telemetry import logger

    with contextlib.redirect_stdout(_CurrentStdout()):
        logger()  # made here if not yet: bound to the current stdout, never to a closed capture

    def keep(record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            typer.echo(f"warning: {record.getMessage()}", err=True)
        return False

    runtime = logging.getLogger(SERVICE)
    runtime.addFilter(keep)
    try:
        yield
    finally:
        runtime.removeFilter(keep)
