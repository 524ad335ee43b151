"""Wall time and peak memory of the local cloud: `jada demo`, and a 24-hour scenario with 20 tasks.

    .venv/bin/python benchmarks/bench_local.py

Each run is a fresh `jada` process (cold imports included, as an operator would see it); peak
memory is that child's maximum resident set size.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JADA = str(Path(sys.executable).with_name("jada"))
KINDS = [
    "Update the crew page for leg {n}.",
    "Write the long multi-session report number {n}.",
    "Reconcile fees for port {n} and queue a follow-up check.",
    "Prepare contract {n}; it needs the operator's approval.",
]


def day_scenario(tasks: int = 20) -> dict:
    start = datetime(2026, 5, 12, 6, 0, tzinfo=UTC)
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return {
        "start": stamp(start),
        "end": stamp(start + timedelta(hours=24)),
        "settings": {"sessions_per_day": 50, "turns_per_session": 30},
        "sheet_sync": {
            "spreadsheet_id": "bench",
            "token": {"client_id": "c", "client_secret": "s", "refresh_token": "r"},
        },
        "tasks": [
            {
                "at": stamp(start + timedelta(minutes=70 * n)),
                "title": f"task {n}",
                "prompt": KINDS[n % 4].format(n=n),
            }
            for n in range(tasks)
        ],
    }


def measure(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of `args`, run under a fresh launcher so peaks do not mix."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, cwd=ROOT, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    return wall, float(out.stdout.strip().splitlines()[-1]) / 1024


def child(args: list[str]) -> None:
    subprocess.run(args, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wall, peak = measure([JADA, "demo", "--quiet", "--report", f"{tmp}/demo.json"])
        print(f"jada demo:                      {wall:6.1f} s wall, {peak:6.0f} MB peak RSS")
        path = Path(tmp) / "day.json"
        path.write_text(json.dumps(day_scenario()))
        wall, peak = measure(
            [JADA, "local", "run", str(path), "--quiet", "--report", f"{tmp}/day-report.json"]
        )
        report = json.loads(Path(f"{tmp}/day-report.json").read_text())
        sessions = sum(report["sessions_by_day"].values())
        print(f"24 h, 20 tasks ({sessions} sessions): {wall:6.1f} s wall, {peak:6.0f} MB peak RSS")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    else:
        main()
