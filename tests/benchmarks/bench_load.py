"""Load: 500 tasks queued at once, quota 1000/day, concurrency cap 20, six simulated hours in the
local cloud (offline scripted model). Prints figures; asserts nothing about speed.

    .venv/bin/python tests/benchmarks/bench_load.py [--tasks 500] [--hours 6] [--cap 20]

Figures: tasks done, the most sessions running at once (from the executions' start and stop
times), pickup latency (task queued -> its first session started, simulated time), the poll's
duration (wall and its own CPU time) and DynamoDB requests per started session (counted with a
botocore event hook during the poll function's invocations) while hundreds of tasks are queued,
and the run's wall time, CPU time and peak RSS. The machine's load average is printed too: the
local cloud runs Lambda invocations one at a time, so a busy machine stretches wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 5, 12, 6, 0, tzinfo=UTC)
#: the mix of work: most tasks finish in one turn; some run two sessions; some queue a child task
KINDS = (
    *["Update the crew page for leg {n}."] * 16,
    *["Write the long multi-session report number {n}."] * 3,
    "Reconcile fees for port {n} and queue a follow-up check.",
)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def scenario(tasks: int, hours: float, cap: int) -> dict[str, Any]:
    return {
        "start": stamp(START),
        "end": stamp(START + timedelta(hours=hours)),
        "settings": {
            "sessions_per_day": 1000,
            "max_concurrent_sessions": cap,
            "turns_per_session": 10,
            "max_sessions_per_task": 3,
        },
        "tasks": [
            {"at": stamp(START), "title": f"task {n}", "prompt": KINDS[n % len(KINDS)].format(n=n)}
            for n in range(tasks)
        ],
    }


@dataclass
class PollCall:
    at: str
    runnable: int
    started: int
    ms: float
    cpu_ms: float
    dynamodb: int
    other: int
    queued: int = 0


@dataclass
class PollMeter:
    """Times the poll function's invocations and counts the AWS requests each one makes."""

    calls: list[PollCall] = field(default_factory=list)
    _requests: list[str] | None = None
    _thread: int | None = None

    def install(self) -> None:
        import boto3.session
        from jada_tools.local.moto_lambda import InProcessLambda

        original, meter = InProcessLambda._invoke, self
        session_init = boto3.session.Session.__init__

        def hooked_init(session: Any, *args: Any, **kwargs: Any) -> None:
            # every session (moto gives each mock a fresh default one) gets the event hook before
            # any client is made from it: a client copies its session's hooks when made
            session_init(session, *args, **kwargs)
            session.events.register("before-call", meter._on_call)

        def invoke(runtime: Any, backend: Any, function_name: str, *args: Any) -> bytes:
            fn = backend.get_function(function_name, args[0] if args else None)
            path = runtime.handlers.get(fn.function_name)
            if path is None or path.parent.name != "poll":
                return original(runtime, backend, function_name, *args)
            return meter._measure(original, runtime, backend, function_name, *args)

        boto3.session.Session.__init__ = hooked_init  # type: ignore[method-assign]
        InProcessLambda._invoke = invoke  # type: ignore[method-assign]

    def _on_call(self, event_name: str, **_: Any) -> None:
        # only the poll's own requests (Step Functions runs executions on other threads)
        if self._requests is not None and threading.get_ident() == self._thread:
            self._requests.append(event_name)

    def _measure(self, original: Any, *args: Any) -> bytes:
        from jada_tools.local.moto_lambda import _LOCK

        body_in = args[4] if len(args) > 4 else b"{}"
        event = json.loads(body_in or b"{}")
        with _LOCK:  # invocations are serial: only this poll's requests are counted
            self._requests, self._thread = [], threading.get_ident()
            began, cpu = time.perf_counter(), time.thread_time()
            try:
                body: bytes = original(*args)
            finally:
                ms, cpu_ms = (time.perf_counter() - began) * 1000, (time.thread_time() - cpu) * 1000
                requests, self._requests = self._requests, None
        out = json.loads(body or b"{}")
        out = out if isinstance(out, dict) else {}
        dynamodb = sum(1 for r in requests if r.startswith("before-call.dynamodb."))
        self.calls.append(
            PollCall(
                at=str(event.get("scheduled_time", "")),
                runnable=int(out.get("runnable") or 0),
                started=len(out.get("started") or []),
                ms=ms,
                cpu_ms=cpu_ms,
                dynamodb=dynamodb,
                other=len(requests) - dynamodb,
            )
        )
        return body


def most_at_once(executions: list[dict[str, Any]], end: str) -> int:
    """The peak of sessions running at once; a stop at the same second as a start comes first."""
    events = []
    for e in executions:
        events.append((e["started_at"], 1))
        events.append((e["stopped_at"] or end, -1))
    running = peak = 0
    for _, delta in sorted(events):
        running += delta
        peak = max(peak, running)
    return peak


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def queued_at(tasks: list[dict[str, Any]], moment: str) -> int:
    """Tasks waiting for their first session at `moment` (queued by then, not yet started)."""
    return sum(
        1
        for t in tasks
        if t["created_at"] <= moment and (not t["sessions"] or t["sessions"][0]["started_at"] >= moment)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--hours", type=float, default=6)
    parser.add_argument("--cap", type=int, default=20)
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    from jada_tools.local.cloud import run
    from jada_tools.local.scenario import parse_scenario

    meter = PollMeter()
    meter.install()
    result = run(parse_scenario(scenario(args.tasks, args.hours, args.cap)))
    wall = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    load_after = os.getloadavg()[0]

    report = result.report
    tasks = report["tasks"]
    statuses = Counter(t["status"] for t in tasks)
    latencies = [
        (parse(t["sessions"][0]["started_at"]) - parse(t["created_at"])).total_seconds()
        for t in tasks
        if t["sessions"]
    ]
    sessions = sum(len(t["sessions"]) for t in tasks)
    ended = [parse(s["ended_at"]) for t in tasks for s in t["sessions"] if s["ended_at"]]
    for call in meter.calls:
        call.queued = queued_at(tasks, call.at)
    busy = [c for c in meter.calls if c.started]
    crowded = [c for c in busy if c.queued >= 0.8 * args.tasks] or busy[:1]
    idle = [c for c in meter.calls if not c.runnable]

    print(
        f"Load benchmark: {args.tasks} tasks queued at {stamp(START)}, quota 1000/day, cap {args.cap}, "
        f"{args.hours:g} simulated hours (offline scripted model; Python {sys.version.split()[0]})"
    )
    print(
        f"  tasks:            {len(tasks)} ({args.tasks} queued + {len(tasks) - args.tasks} queued by the "
        f"agent): {dict(statuses)}; all done: {statuses.get('done', 0) == len(tasks)}"
    )
    print(f"  sessions:         {sessions} started; by day {report['sessions_by_day']}")
    if ended:
        last = max(ended)
        print(
            f"  last session end: {stamp(last)} ({(last - START).total_seconds() / 60:.0f} simulated minutes "
            "after the burst)"
        )
    print(
        f"  most at once:     {most_at_once(report['executions'], report['scenario']['end'])} sessions "
        f"(cap {args.cap}; from the executions' start and stop times)"
    )
    print(
        f"  pickup latency:   p50 {percentile(latencies, 0.5) / 60:.1f} min, p95 "
        f"{percentile(latencies, 0.95) / 60:.1f} min, max {max(latencies, default=0) / 60:.1f} min "
        "(queued -> first session started, simulated)"
    )
    print(
        f"  polls:            {len(meter.calls)} invocations, {len(busy)} started sessions, {len(idle)} idle"
    )
    if crowded:
        per = [c.dynamodb / c.started for c in crowded]
        print(
            f"  busy polls with {min(c.queued for c in crowded)}-{max(c.queued for c in crowded)} queued "
            f"({len(crowded)}): each reads one page of {max(c.runnable for c in crowded)} runnable tasks and "
            f"starts {statistics.median(c.started for c in crowded):.0f}"
        )
        print(
            f"    duration:       median {statistics.median(c.ms for c in crowded):.0f} ms wall, "
            f"{statistics.median(c.cpu_ms for c in crowded):.0f} ms CPU of its own thread (max "
            f"{max(c.ms for c in crowded):.0f} ms wall)"
        )
        print(
            f"    DynamoDB:       median {statistics.median(per):.1f} requests per started session (max "
            f"{max(per):.1f}); {statistics.median(c.other for c in crowded):.0f} other requests a poll"
        )
    if idle:
        print(
            f"  idle polls:       median {statistics.median(c.ms for c in idle):.0f} ms wall, "
            f"{statistics.median(c.dynamodb for c in idle):.0f} DynamoDB request(s)"
        )
    cpu = usage.ru_utime + usage.ru_stime
    print(
        f"  run:              {wall:.0f} s wall, {cpu:.0f} s CPU, peak RSS {usage.ru_maxrss / 1024:.0f} MB; "
        f"load average {load_before:.1f} before, {load_after:.1f} after ({os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    main()
