"""The demo's site tasks in the local cloud (offline model): model calls and the real time their
turn batches took, and for each deploy the bytes uploaded against the site's size.

Run: .venv/bin/python tests/benchmarks/bench_demo_sites.py
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from jada_tools.local.cloud import run
from jada_tools.local.scenario import load_scenario

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.json"


def main() -> None:
    for key in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GOOGLE_OAUTH_TOKEN_URI", "SHEETS_API_ENDPOINT"):
        os.environ.pop(key, None)
    scenario = load_scenario(DEMO)
    started = time.perf_counter()
    result = run(scenario)
    total = time.perf_counter() - started
    report = result.report
    print(f"demo: {total:.1f} s wall in-process (synthesis included)")
    site_tasks = {d["task_id"] for d in report["deployments"]}
    turn_batch = result.deployment.function_by_folder("turn_batch")
    assert turn_batch is not None
    for task in (t for t in report["tasks"] if t["id"] in site_tasks):
        executions = {s["execution"] for s in task["sessions"]}
        batches = [
            i
            for i in result.invocations
            if i.function_name.split(":")[-1] == turn_batch.name
            and isinstance(i.event, dict)
            and i.event.get("execution") in executions
        ]
        calls = sum(s["turns"] for s in task["sessions"])
        seconds = sum(i.duration_s for i in batches)
        outcomes = ", ".join(f"{s['turns']} {s['outcome']}" for s in task["sessions"])
        print(
            f"task '{task['title']}': {calls} model calls, sessions: {outcomes}; "
            f"{len(batches)} turn batch(es), {seconds:.2f} s real time in them"
        )
    for deploy in report["deployments"]:
        files = scenario.sites[deploy["site"]].files
        size = sum(len(body.encode()) for body in files.values())
        share = 100 * deploy["bytes_uploaded"] / size
        print(
            f"deploy {deploy['site']}: uploaded {len(deploy['uploaded'])} of {len(files)} files, "
            f"{deploy['bytes_uploaded']:,} of {size:,} bytes ({share:.1f}%); invalidation "
            f"{deploy['invalidation_id']} of {', '.join(deploy['invalidation_paths'])}"
        )


if __name__ == "__main__":
    main()
