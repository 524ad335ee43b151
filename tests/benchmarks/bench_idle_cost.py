"""Idle cost at list prices, measured: a simulated idle day (no tasks, a healthy sheet sync) in the
local cloud, then the itemized monthly bill of the synthesized template with that profile.

    .venv/bin/python tests/benchmarks/bench_idle_cost.py [--hours 24] [--json]

Prints what each function did per invocation, the custom metrics' hours (the report's
`metric_hours`), the emails sent, and the bill. About 40 s for a day on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import time

from jada_tools.cost.estimate import idle_bill
from jada_tools.cost.measure import measure_idle
from jada_tools.cost.render import print_bill
from jada_tools.cost.template import facts_of
from rich.console import Console


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    measured = measure_idle(args.hours)
    wall = time.perf_counter() - started
    bill = idle_bill(facts_of(measured.template), measured.profile)
    report = measured.run.report
    if args.json:
        print(json.dumps({"profile": measured.profile.to_dict(), "bill": bill.to_dict()}, indent=2))
        return
    console = Console(width=150)
    console.print(f"simulated idle: {args.hours} h in {wall:.1f} s wall")
    for folder, fn in measured.profile.functions.items():
        console.print(
            f"  {folder:<12} {fn.invocations_per_day:7.1f} invocations/day, {fn.duration_ms:7.2f} ms, "
            f"{fn.log_bytes:7.1f} log bytes each"
        )
    console.print(f"  metric_hours: {json.dumps(report['metric_hours'])}")
    console.print(f"  emails: {len(report['emails'])}; syncs: {len(report['syncs'])}")
    print_bill(console, bill)


if __name__ == "__main__":
    main()
