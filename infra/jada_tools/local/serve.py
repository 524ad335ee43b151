"""`jada local serve`: the local cloud kept running in real time, with an AWS endpoint for the CLI.

The same set-up as `jada local run` (`cloud.open_cloud`: the synthesized app in moto, the real
handlers, the offline stand-ins, schedules and alarms), driven by `pacing.drive` on a clock that
runs `speed` simulated seconds per real second, plus what a command in another terminal needs:

- `endpoint.LocalEndpoint`: moto's server on 127.0.0.1:PORT over the same backends, every request
  atomic (`atomic.AtomicRequests`), and the simulated time at `/jada-local/clock`;
- `mirror`: the stack record `Jada` (its Outputs, read by `describe_stacks`) and the alarms and
  metrics in CloudWatch;
- `LiveLog`: the timeline printed as it happens, each email with the first lines of its body.

A scenario (optional) is taken as given: the clock starts at its `start`, its tasks and answers
arrive at their times, and the run goes on past its `end`. Without one the clock starts at the
current time with no tasks. `stop` (set by SIGINT/SIGTERM) ends it: running executions are
stopped, sleepers released, the endpoint shut and the port freed.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jada.clock import iso
from jada.telemetry import STACK_NAME
from rich.console import Console
from rich.markup import escape

from jada_tools.local.atomic import AtomicRequests
from jada_tools.local.cloud import LocalCloud, open_cloud
from jada_tools.local.endpoint import DEFAULT_PORT, LocalEndpoint, listen
from jada_tools.local.engine import CONTROL, Observer
from jada_tools.local.mailbox import Email, Mailbox
from jada_tools.local.mirror import CloudWatchMirror, register_stack
from jada_tools.local.model_choice import ModelChoice, model_choice
from jada_tools.local.observers import Entry, Timeline, task_store, tasks_table
from jada_tools.local.pacing import Pacer, drive
from jada_tools.local.scenario import Scenario, parse_scenario
from jada_tools.local.synth import base_context, scenario_context, synthesize_apart
from jada_tools.local.timeline import STYLE

#: an idle serve has no end; its scenario window is only a formality
IDLE_WINDOW = timedelta(days=3650)
#: body lines of an email shown in the live log (and the alarm email's runbook lines)
PREVIEW_LINES = 3
PREVIEW_KEYS = ("- Description:", "- Reason for State Change:")
PREVIEW_WIDTH = 240


@dataclass(frozen=True)
class ServeOptions:
    port: int = DEFAULT_PORT
    speed: float = 1.0
    scenario: Scenario | None = None
    log_path: Path = Path("reports/serve.log")


@dataclass
class Summary:
    started_at: datetime
    stopped_at: datetime
    real_seconds: float
    tasks: int
    sessions: int
    emails: int
    counts: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        simulated = _duration((self.stopped_at - self.started_at).total_seconds())
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.counts.items()))
        return (
            f"stopped at {iso(self.stopped_at)} after {simulated} simulated ({_duration(self.real_seconds)} "
            f"real): {_count(self.tasks, 'task')}{f' ({statuses})' if statuses else ''}, "
            f"{_count(self.sessions, 'session')}, {_count(self.emails, 'email')}"
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def idle_scenario(start: datetime) -> Scenario:
    return parse_scenario({"start": iso(start), "end": iso(start + IDLE_WINDOW)})


# --- the live log -------------------------------------------------------------------------------
def email_preview(body: str) -> list[str]:
    """What the live log shows of an email: an alarm email's description and reason, else the first
    lines of the body."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    keyed = [" ".join(ln.removeprefix("- ").split()) for ln in lines if ln.startswith(PREVIEW_KEYS)]
    shown = keyed or lines[:PREVIEW_LINES]
    return [ln if len(ln) <= PREVIEW_WIDTH else ln[: PREVIEW_WIDTH - 3] + "..." for ln in shown]


class LiveLog(Observer):
    """Prints the timeline as it grows: sessions started and ended, polls held back, sync outcome
    changes, alarm changes, and each email with the first lines of its body. Register it last."""

    def __init__(self, console: Console, timeline: Timeline, mailbox: Mailbox) -> None:
        self.console = console
        self.timeline = timeline
        self.mailbox = mailbox
        self._entries = 0
        self._emails = 0
        self._last_sync: str | None = None

    def settled(self, now: datetime) -> None:
        new = self.timeline.entries[self._entries :]
        self._entries = len(self.timeline.entries)
        emails: list[Email] = []
        for entry in new:
            if entry.kind == "email":
                emails.append(self.mailbox.emails[self._emails])
                self._emails += 1
        by_email = iter(emails)
        for entry in sorted(new, key=lambda e: e.at):
            self._print(entry, next(by_email) if entry.kind == "email" else None)

    def _print(self, entry: Entry, email: Email | None) -> None:
        text = entry.text
        if entry.kind == "sync":
            if text == self._last_sync:
                return  # one line per change of sync outcome
            self._last_sync = text
        if entry.kind == "start":
            text = f"session {text}"
        style = STYLE.get(entry.kind, "white")
        self.console.print(
            f"[dim]{entry.at:%m-%d %H:%M:%S}[/] [{style}]{entry.kind:<7}[/] [{style}]{escape(text)}[/]",
            soft_wrap=True,
        )
        if email is not None:
            for line in email_preview(email.body):
                self.console.print(f"{'':23}[dim]| {escape(line)}[/]", soft_wrap=True)
        self.console.file.flush()


# --- stopping -----------------------------------------------------------------------------------
@contextlib.contextmanager
def stop_on_signals(stop: threading.Event, console: Console) -> Iterator[None]:
    """SIGINT/SIGTERM set `stop` (a clean shutdown); a second one interrupts at once."""

    def handle(signum: int, _frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        console.print(f"[dim]{signal.Signals(signum).name}: stopping (again to interrupt at once)[/]")
        console.file.flush()

    saved = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, previous in saved.items():
            signal.signal(sig, previous)


# --- serving ------------------------------------------------------------------------------------
def serve(
    options: ServeOptions,
    *,
    console: Console,
    stop: threading.Event,
    template: dict[str, Any] | None = None,
) -> Summary:
    """Run the local cloud until `stop` is set; returns what happened. A taken port fails at once
    (`EndpointError`), before the synthesis. `template`: an already synthesized app (tests);
    default: the app synthesized with cdk.json's context and the scenario's settings."""
    with contextlib.closing(listen(options.port)) as sock:
        ctx = scenario_context(options.scenario or idle_scenario(datetime.now(UTC)), base_context())
        choice = model_choice(ctx)
        if template is None:
            template = synthesize_apart(ctx).template
        # the idle clock starts now, after the synthesis (seconds of real time)
        scenario = options.scenario or idle_scenario(datetime.now(UTC).replace(microsecond=0))
        options.log_path.parent.mkdir(parents=True, exist_ok=True)
        with (
            options.log_path.open("w", encoding="utf-8") as logs,
            open_cloud(scenario, template, logs=logs) as cloud,
            AtomicRequests() as atomic,
        ):
            return _serve(cloud, options, atomic, sock, choice, console=console, stop=stop)


def _serve(
    cloud: LocalCloud,
    options: ServeOptions,
    atomic: AtomicRequests,
    sock: socket.socket,
    choice: ModelChoice,
    *,
    console: Console,
    stop: threading.Event,
) -> Summary:
    sim, dep = cloud.sim, cloud.deployment
    cloud.runtime.keep_invocations = False  # an open-ended run keeps no per-invocation record
    register_stack(dep, STACK_NAME)
    mirror = CloudWatchMirror(dep)
    sim.observe(mirror)
    _mirror_metrics(cloud, mirror)
    _prune_metrics(cloud)
    started_at = sim.clock.now
    pacer = Pacer(started_at, options.speed)

    def clock_info() -> dict[str, Any]:
        now = max(sim.clock.now, pacer.now())
        return {"now": now.isoformat(), "speed": options.speed, "region": dep.region}

    endpoint = LocalEndpoint(options.port, info=clock_info, atomic=atomic, sock=sock).start()
    real_start = time.monotonic()
    try:
        _banner(console, cloud, endpoint, options=options, start=started_at, choice=choice)
        sim.observe(LiveLog(console, cloud.timeline, cloud.mailbox))
        sim.start()
        pacer = Pacer(sim.clock.now, options.speed)  # real time starts now
        drive(sim, pacer, stop)
    finally:
        endpoint.stop()
        sim.stop_running("the local cloud was stopped")
    return _summary(cloud, started_at, time.monotonic() - real_start)


def _mirror_metrics(cloud: LocalCloud, mirror: CloudWatchMirror) -> None:
    """The handlers' EMF lines reach CloudWatch too (besides the local alarm evaluation)."""
    sink, clock = cloud.runtime.sink, cloud.sim.clock

    def both(function: str, text: str) -> None:
        if sink is not None:
            sink(function, text)
        mirror.feed(text, clock.now)

    cloud.runtime.sink = both


def _prune_metrics(cloud: LocalCloud) -> None:
    """Every simulated hour, forget data points no alarm looks at any more (memory stays flat)."""
    sim = cloud.sim
    windows = [a.query.period * a.evaluation_periods for a in sim.alarms.alarms]
    keep = timedelta(seconds=max([*windows, 2 * 86400]) + 3600)

    def prune() -> None:
        sim.metrics.prune(sim.clock.now - keep)
        sim.at(sim.clock.now + timedelta(hours=1), prune, CONTROL)

    sim.at(sim.clock.now + timedelta(hours=1), prune, CONTROL)


def _banner(
    console: Console,
    cloud: LocalCloud,
    endpoint: LocalEndpoint,
    *,
    options: ServeOptions,
    start: datetime,
    choice: ModelChoice,
) -> None:
    google = "offline Google stand-in" if cloud.offline[1] else "Google endpoints from the environment"
    origin = f"scenario start {iso(start)}" if options.scenario is not None else f"now, {iso(start)}"
    console.print(
        f"[bold]jada local serve[/]: the local cloud at {endpoint.url}, clock from {origin}, "
        f"{options.speed:g} simulated s per real s"
    )
    console.print(f"  {choice.line()}\n  Google: {google}\n  Handler logs: {options.log_path}", markup=False)
    if choice.warning():
        console.print(f"[bold yellow]warning: {escape(choice.warning() or '')}[/]")
    console.print("In another terminal, point the jada commands at it:")
    console.print(f"export JADA_ENDPOINT={endpoint.url}", highlight=False, soft_wrap=True)
    console.print('  then e.g.: jada tasks add "Publish the crew page"; jada tasks list; Ctrl-C here stops.')
    console.file.flush()


def _summary(cloud: LocalCloud, started_at: datetime, real_seconds: float) -> Summary:
    dep = cloud.deployment
    tasks = task_store(dep).list_all(limit=10_000) if tasks_table(dep) else []
    counts: dict[str, int] = {}
    for task in tasks:
        counts[task.status.value] = counts.get(task.status.value, 0) + 1
    return Summary(
        started_at=started_at,
        stopped_at=cloud.sim.clock.now,
        real_seconds=real_seconds,
        tasks=len(tasks),
        sessions=len(cloud.sim.executions.seen),
        emails=len(cloud.mailbox.emails),
        counts=counts,
    )
