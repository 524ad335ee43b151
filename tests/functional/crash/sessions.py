"""Sweeps: a clean run counts a handler's external calls, then one run per crash point starts from
the same snapshot, crashes there, lets the platform go on (world.World) and checks the invariants.

A session scenario (`Scenario`) is a task, the model's scripted turns and settings. Adding a
tool's crash coverage is one entry: the turns that call the tool and, if the generic invariants
(world.invariants) do not cover its side effect, a `check`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jada.lifecycle import TaskStatus

from tests.functional.crash.faults import DIED_ERROR, Kind, Point, crash_points
from tests.functional.crash.model import FINISH, Script, Turn
from tests.functional.crash.world import Unsettled, World, invariants, task_summary

#: where a task rests once its session ended (suspended tasks are picked up by the next poll)
RESTING = {TaskStatus.DONE, TaskStatus.BLOCKED, TaskStatus.FAILED, TaskStatus.CANCELLED}
Check = Callable[[World, "Run"], list[str]]


@dataclass
class Run:
    point: Point | None
    calls: list[str]
    fired: bool
    summary: list[tuple[Any, ...]]
    problems: list[str]


@dataclass(frozen=True)
class Sweep:
    """What a sweep does: `prepare` the state every run starts from, `go` on from it (the
    platform's own steps), then `check` (violations) besides the generic invariants."""

    name: str
    target: str
    prepare: Callable[[World], None]
    go: Callable[[World], None]
    check: Check | None = None
    #: day sessions a crash may leave taken without a session (a crashed start)
    quota_leak: int = 0
    #: crash only in the first `invocations` invocations of the target (None: in any of them)
    invocations: int | None = None


def run_one(world: World, sweep: Sweep, snap: Any, point: Point | None) -> Run:
    world.restore(snap)
    world.crash(sweep.target, point, sweep.invocations)
    stuck = None
    try:
        sweep.go(world)
    except Unsettled as exc:
        stuck = str(exc)
    run = Run(point, list(world.injector.calls), world.injector.fired, [], [])
    world.crash(sweep.target, None)
    run.summary = task_summary(world)
    if stuck is not None:
        run.problems = [stuck]
        return run
    run.problems = invariants(world, quota_leak=sweep.quota_leak)
    if sweep.check is not None:
        run.problems += sweep.check(world, run)
    return run


#: (target, sweep, external calls of the clean run, crash runs): printed at the end of the session
SWEPT: list[tuple[str, str, int, int]] = []


def sweep(world: World, what: Sweep) -> tuple[Run, list[Run]]:
    """The clean run, then one run per crash point of the target (counted on the clean run)."""
    world.reset()
    what.prepare(world)
    snap = world.snapshot()
    clean = run_one(world, what, snap, None)
    assert clean.calls, f"{what.name}: the clean run made no external call of {what.target}"
    assert not clean.problems, clean.problems
    runs = [run_one(world, what, snap, point) for point in crash_points(clean.calls)]
    SWEPT.append((what.target, what.name, len(clean.calls), len(runs)))
    return clean, runs


def violations(name: str, clean: Run, runs: list[Run], *, same_end: Callable[[Run], bool]) -> list[str]:
    """Every invariant some crash run broke, and every run that should end as the clean run
    (`same_end(run)`) but does not."""
    found = []
    for run in runs:
        where = f"{name} at {run.point}"
        if not run.fired:
            found.append(f"{where}: the crash point was never reached")
        found += [f"{where}: {p}" for p in run.problems]
        if same_end(run) and run.summary != clean.summary:
            found.append(f"{where}: ends as {run.summary}, the clean run as {clean.summary}")
    return found


def transient(run: Run) -> bool:
    """A crash the platform retries (not the Lambda dying): it must change nothing."""
    return run.point is not None and run.point.kind is not Kind.DIED


# --- session scenarios ------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    name: str
    turns: tuple[Turn, ...]
    #: a tool-specific invariant, after the run (returns violations)
    check: Check | None = None
    #: settings, as environment variables of every function
    env: dict[str, str] = field(default_factory=dict)
    #: the status the task rests in after a clean run
    rests: TaskStatus = TaskStatus.DONE
    #: prepares the world before the task is queued (work tools: sites, sheet rows)
    setup: Callable[[World], None] | None = None
    #: the turns of the sessions that resume the task (after a turn limit)
    resumed: tuple[Turn, ...] = FINISH

    @property
    def title(self) -> str:
        return f"crash {self.name}"

    @property
    def marker(self) -> str:
        return f"[scenario {self.name}]"

    def queue(self, world: World) -> None:
        world.functions.extra_env.update(self.env)
        world.model.scripts = {self.marker: Script(self.turns, self.resumed)}
        if self.setup is not None:
            self.setup(world)
        world.tasks().create(title=self.title, prompt=f"{self.marker} Do the work.", now=world.clock.now)

    def rested(self, world: World) -> bool:
        return world.task(self.title).status in RESTING

    def started(self, world: World) -> None:
        """Queued, and its first session started by the poll."""
        self.queue(world)
        world.scheduled("poll")

    def settle(self, world: World) -> None:
        world.settle(lambda: self.rested(world))

    def checks(self, world: World, run: Run) -> list[str]:
        problems = self.check(world, run) if self.check is not None else []
        task = world.task(self.title)
        died = run.point is not None and run.point.kind is Kind.DIED
        if died and task.status is TaskStatus.FAILED and DIED_ERROR not in (task.failure_reason or ""):
            problems.append(f"failed without saying why: {task.failure_reason!r}")
        return problems

    def in_turn_batch(self) -> Sweep:
        return Sweep(self.name, "turn_batch", self.started, self.settle, self.checks)

    def in_session_end(self) -> Sweep:
        """Crashes in every invocation of session end: the state machine's steps (and their
        Retry) and the rule's target for an execution that failed (and Lambda's retries)."""
        return Sweep(self.name, "session_end", self.started, self.settle, self.tool_check)

    def tool_check(self, world: World, run: Run) -> list[str]:
        return self.check(world, run) if self.check is not None else []
