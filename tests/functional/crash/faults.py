"""Crash injection: make a handler fail at its k-th external call.

External calls are every AWS request (botocore's `before-call`, once per API call whatever the SDK
retries, on every client of every session: the hooks are built-in handlers while installed, as
moto's own are) and every Messages API request (the loopback model server asks `model_fault`).

How a call can go wrong (`Kind`):
- `before`: the request never reaches the service; the invocation fails (a connection error).
- `after`: the service served it, the response is lost; the invocation fails (a read timeout).
- `resent`: the service served it, the response is lost and the SDK sends it again (AWS only).
- `died`: the service served it, then the Lambda dies (a timeout): nothing more of it runs.
A read changes nothing, so it only gets `before` (`after` and `died` there are the same states as
`before` and as `died` after the call before it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import boto3
from botocore import handlers
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from jada_tools.fakes.model_server import DROP_AFTER, DROP_BEFORE

MODEL_CALL = "anthropic.messages"
READ_PREFIXES = ("Get", "Query", "Scan", "BatchGet", "Describe", "List", "Head")


class Kind(StrEnum):
    BEFORE = "before"
    AFTER = "after"
    RESENT = "resent"
    DIED = "died"


class LambdaDied(BaseException):
    """The Lambda runtime stopped here (timeout, out of memory): no `except Exception` runs."""


#: what Step Functions reports for a function that timed out or ran out of memory
DIED_ERROR = "Lambda.Unknown"


@dataclass(frozen=True)
class Point:
    """Crash at the `call`-th external call (1-based) of the target function, this way."""

    call: int
    kind: Kind
    label: str

    def __str__(self) -> str:
        return f"#{self.call} {self.label} {self.kind}"


def is_read(label: str) -> bool:
    operation = label.rpartition(".")[2]
    return operation.startswith(READ_PREFIXES)


def kinds_for(label: str) -> tuple[Kind, ...]:
    if label == MODEL_CALL:
        return (Kind.BEFORE, Kind.AFTER, Kind.DIED)
    if is_read(label):
        return (Kind.BEFORE,)
    return (Kind.BEFORE, Kind.AFTER, Kind.RESENT, Kind.DIED)


def crash_points(calls: list[str]) -> Iterator[Point]:
    """Every way to crash a run whose external calls were `calls` (counted on a clean run)."""
    for number, label in enumerate(calls, start=1):
        for kind in kinds_for(label):
            yield Point(number, kind, label)


@dataclass
class Injector:
    """Counts the external calls made while armed and crashes at the planned one."""

    calls: list[str] = field(default_factory=list)
    point: Point | None = None
    armed: bool = False
    #: the planned crash happened
    fired: bool = False
    #: the Lambda died: every later call of the invocation dies too
    dead: bool = False
    _pending: Kind | None = None
    _resend: bool = False

    # --- set-up ---------------------------------------------------------------------------------
    def install(self) -> Injector:
        """Hook every botocore session made from now on (and a fresh default boto3 session)."""
        for spec in self._specs():
            handlers.BUILTIN_HANDLERS.insert(0, spec)
        boto3.DEFAULT_SESSION = None
        return self

    def uninstall(self) -> None:
        for spec in self._specs():
            while spec in handlers.BUILTIN_HANDLERS:
                handlers.BUILTIN_HANDLERS.remove(spec)
        boto3.DEFAULT_SESSION = None

    def _specs(self) -> list[tuple[str, Any]]:
        return [
            ("before-call", self._before_call),
            ("after-call", self._after_call),
            ("needs-retry", self._needs_retry),
        ]

    def plan(self, point: Point | None) -> None:
        """Start counting afresh, crashing at `point` (None: a clean run)."""
        self.calls, self.point, self.fired, self.dead = [], point, False, False
        self._pending, self._resend = None, False

    def revive(self) -> None:
        """A new invocation (a new container after a death)."""
        self.dead = False

    # --- the hooks ------------------------------------------------------------------------------
    def _count(self, label: str) -> Kind | None:
        """Record one external call; the way it fails, if it is the planned one."""
        if self.dead:
            raise LambdaDied(f"the Lambda is gone (call {label})")
        self.calls.append(label)
        point = self.point
        if point is None or self.fired or len(self.calls) != point.call:
            return None
        if point.label != label:
            raise AssertionError(f"crash point {point} met {label}: the handler is not deterministic")
        self.fired = True
        return point.kind

    def _before_call(self, event_name: str, model: Any, **_: Any) -> None:
        if not self.armed:
            return
        kind = self._count(f"{model.service_model.service_id.hyphenize()}.{model.name}")
        if kind is Kind.BEFORE:
            raise EndpointConnectionError(endpoint_url=f"https://{event_name}.injected-before-send")
        self._pending = kind
        self._resend = kind is Kind.RESENT

    def _needs_retry(self, attempts: int, **_: Any) -> int | None:
        if self.armed and self._resend and attempts == 1:
            self._resend = False
            return 0  # the response was lost: botocore sends the request again, at once
        return None

    def _after_call(self, event_name: str, **_: Any) -> None:
        if not self.armed:
            return
        kind, self._pending = self._pending, None
        if kind is Kind.AFTER:
            raise ReadTimeoutError(endpoint_url=f"https://{event_name}.injected-after-call")
        if kind is Kind.DIED:
            self.dead = True
            raise LambdaDied(f"the Lambda died after {event_name}")

    def model_fault(self, request: dict[str, Any]) -> str | None:
        """The model server's fault hook: drop the connection before or after serving."""
        if not self.armed:
            return None
        if self.dead:
            return DROP_BEFORE
        kind = self._count(MODEL_CALL)
        if kind is Kind.BEFORE:
            return DROP_BEFORE
        if kind is Kind.DIED:
            self.dead = True
        return DROP_AFTER if kind in (Kind.AFTER, Kind.DIED) else None
