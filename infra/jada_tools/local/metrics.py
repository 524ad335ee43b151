"""CloudWatch metrics, locally: EMF lines from handler output become data points."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Dimensions = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Datapoint:
    namespace: str
    name: str
    dimensions: Dimensions
    at: datetime
    values: tuple[float, ...]


def parse_emf(line: str, default_at: datetime) -> list[Datapoint]:
    """The data points of one EMF line (Powertools Metrics output); [] for any other line."""
    line = line.strip()
    if not line.startswith("{") or '"_aws"' not in line:
        return []
    try:
        doc = json.loads(line)
        meta = doc["_aws"]
        directives = meta["CloudWatchMetrics"]
    except (ValueError, KeyError, TypeError):
        return []
    stamp = meta.get("Timestamp")
    at = datetime.fromtimestamp(stamp / 1000, UTC) if isinstance(stamp, int | float) else default_at
    points: list[Datapoint] = []
    for directive in directives:
        namespace = directive.get("Namespace", "")
        dim_sets = directive.get("Dimensions") or [[]]
        for metric in directive.get("Metrics", []):
            name = metric.get("Name")
            raw = doc.get(name)
            if name is None or raw is None:
                continue
            values = tuple(float(v) for v in (raw if isinstance(raw, list) else [raw]))
            for dim_names in dim_sets:
                dims = frozenset((d, str(doc.get(d, ""))) for d in dim_names)
                points.append(Datapoint(namespace, name, dims, at, values))
    return points


class MetricStore:
    """All data points of a run, queried by the alarm evaluator."""

    def __init__(self) -> None:
        self._points: dict[tuple[str, str, Dimensions], list[Datapoint]] = {}
        self._lock = threading.Lock()

    def add(self, point: Datapoint) -> None:
        with self._lock:
            self._points.setdefault((point.namespace, point.name, point.dimensions), []).append(point)

    def put(self, namespace: str, name: str, dimensions: dict[str, str], at: datetime, value: float) -> None:
        self.add(Datapoint(namespace, name, frozenset(dimensions.items()), at, (float(value),)))

    def feed(self, text: str, at: datetime) -> int:
        """Parse handler output; returns how many data points it held."""
        count = 0
        for line in text.splitlines():
            for point in parse_emf(line, at):
                self.add(point)
                count += 1
        return count

    def values(
        self, namespace: str, name: str, dimensions: Dimensions, start: datetime, end: datetime
    ) -> list[float]:
        """Every sample in [start, end)."""
        with self._lock:
            points = list(self._points.get((namespace, name, dimensions), ()))
        return [v for p in points if start <= p.at < end for v in p.values]

    def prune(self, before: datetime) -> int:
        """Forget data points older than `before` (an open-ended run); returns how many."""
        dropped = 0
        with self._lock:
            for key, points in self._points.items():
                kept = [p for p in points if p.at >= before]
                dropped += len(points) - len(kept)
                self._points[key] = kept
        return dropped

    def names(self) -> list[tuple[str, str, Dimensions]]:
        with self._lock:
            return list(self._points)

    def hours(self, namespace: str) -> dict[str, int]:
        """Metric name -> distinct clock hours (UTC) in which any of its data points fall: what
        CloudWatch bills a custom metric for, prorated hourly. A name emitted with several
        dimension sets counts the hours of each (each set is a metric of its own)."""
        with self._lock:
            keys = [(key, list(points)) for key, points in self._points.items() if key[0] == namespace]
        found: dict[str, int] = {}
        for (_ns, name, _dims), points in keys:
            stamps = {p.at.astimezone(UTC).replace(minute=0, second=0, microsecond=0) for p in points}
            found[name] = found.get(name, 0) + len(stamps)
        return dict(sorted(found.items()))

    def to_summary(self) -> dict[str, float]:
        """'Namespace/Name' -> sum of all samples (for the report)."""
        summary: dict[str, float] = {}
        with self._lock:
            for (namespace, name, _dims), points in self._points.items():
                key = f"{namespace}/{name}"
                summary[key] = summary.get(key, 0.0) + sum(v for p in points for v in p.values)
        return summary


def statistic(name: str, samples: list[float]) -> float:
    if name == "Sum":
        return sum(samples)
    if name == "Average":
        return sum(samples) / len(samples)
    if name == "Minimum":
        return min(samples)
    if name == "SampleCount":
        return float(len(samples))
    return max(samples)  # Maximum, and percentiles approximated by it


def dims_of(spec: Any) -> Dimensions:
    return frozenset((d["Name"], str(d["Value"])) for d in (spec or []))
