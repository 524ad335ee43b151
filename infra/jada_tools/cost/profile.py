"""What an idle deployment does per invocation: measured in a simulated idle day of the local
cloud (durations, log bytes, custom metric hours), plus DynamoDB and Secrets Manager requests
that moto does not meter, modelled from what the code does.

`RECORDED` is the profile of the last benchmark run (tests/benchmarks/bench_idle_cost.py), used
by `jada cost estimate` unless `--measure` runs a fresh idle day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

#: modelled requests per idle invocation, by function folder:
#: (DynamoDB read units, write units, GetSecretValue calls)
#: - poll: one eventually consistent Query of the runnable index that finds nothing (0.5 RRU)
#: - sheet_sync: the Query of the stored rows' hashes (a small sheet: under 4 KB, 0.5 RRU, 1 RRU
#:   allowed), the run record (1 WRU), and the token secret (cached 5 minutes: refetched by a
#:   sync every 30 minutes)
MODELLED: dict[str, tuple[float, float, float]] = {
    "poll": (0.5, 0.0, 0.0),
    "sheet_sync": (1.0, 1.0, 1.0),
}


@dataclass(frozen=True)
class FunctionProfile:
    invocations_per_day: float
    duration_ms: float
    #: what the handler writes to its log group per invocation (EMF lines included)
    log_bytes: float
    read_units: float = 0.0
    write_units: float = 0.0
    secret_reads: float = 0.0
    #: custom metric -> clock hours a day in which this function emits it
    metric_hours_per_day: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class IdleProfile:
    #: where the figures come from
    source: str
    functions: dict[str, FunctionProfile] = field(default_factory=dict)

    @property
    def metric_hours_per_day(self) -> dict[str, float]:
        """Custom metric -> clock hours a day in which any function emits it."""
        total: dict[str, float] = defaultdict(float)
        for fn in self.functions.values():
            for name, hours in fn.metric_hours_per_day.items():
                total[name] += hours
        return dict(sorted(total.items()))

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "functions": {k: asdict(v) for k, v in self.functions.items()}}


def profile_of_run(
    invocations: list[Any], functions: dict[str, str], hours: float, source: str
) -> IdleProfile:
    """The profile of `hours` of a local run: `invocations` (jada_tools.local.moto_lambda.Invocation),
    `functions` maps a function name to its source folder."""
    days = hours / 24
    grouped: dict[str, list[Any]] = defaultdict(list)
    for call in invocations:
        folder = functions.get(call.function_name)
        if folder:
            grouped[folder].append(call)
    profiles = {}
    for folder, calls in sorted(grouped.items()):
        reads, writes, secrets = MODELLED.get(folder, (0.0, 0.0, 0.0))
        profiles[folder] = FunctionProfile(
            invocations_per_day=round(len(calls) / days, 2),
            duration_ms=round(1000 * sum(c.duration_s for c in calls) / len(calls), 2),
            log_bytes=round(sum(len(c.stdout.encode()) for c in calls) / len(calls), 1),
            read_units=reads,
            write_units=writes,
            secret_reads=secrets,
            metric_hours_per_day={k: round(v / days, 2) for k, v in metric_hours(calls).items()},
        )
    return IdleProfile(source=source, functions=profiles)


def metric_hours(calls: list[Any]) -> dict[str, int]:
    """Custom metric (namespace Jada) -> distinct clock hours of the EMF lines these calls printed."""
    from jada.telemetry import NAMESPACE

    from jada_tools.local.metrics import parse_emf

    seen: dict[str, set[datetime]] = defaultdict(set)
    for call in calls:
        for line in call.stdout.splitlines():
            for point in parse_emf(line, datetime.now(UTC)):
                if point.namespace == NAMESPACE:
                    seen[point.name].add(point.at.replace(minute=0, second=0, microsecond=0))
    return {name: len(hours) for name, hours in sorted(seen.items())}


#: measured by tests/benchmarks/bench_idle_cost.py (a simulated idle day with a healthy sync)
RECORDED = IdleProfile(
    source="recorded: a simulated idle day with a healthy sheet sync (bench_idle_cost.py)",
    functions={
        "poll": FunctionProfile(1440.0, 12.13, 198.0, *MODELLED["poll"], {"PollHeartbeat": 24.0}),
        "sheet_sync": FunctionProfile(
            48.0, 100.85, 750.2, *MODELLED["sheet_sync"], {"RowsWritten": 1.0, "SyncSucceeded": 24.0}
        ),
    },
)
