"""`jada local serve`: start-up time, whether the clock keeps up with `--speed`, the serve's memory
over time, and the latency of operator commands against it (a fresh `jada` process each).

Starts `jada local serve --speed N --port 0` in a scratch directory, queues a few tasks through the
CLI, samples the simulated clock (`/jada-local/clock`) and the process's resident memory every few
seconds for `--seconds` real seconds, then stops it with SIGINT.

    .venv/bin/python tests/benchmarks/bench_serve.py [--speed 600] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

JADA = str(Path(sys.executable).with_name("jada"))
OUTSIDE = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GOOGLE_OAUTH_TOKEN_URI", "SHEETS_API_ENDPOINT",
           "JADA_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_PROFILE")  # fmt: skip


COMMANDS = (
    ["tasks", "add", "Publish the crew page"],
    ["tasks", "add", "Draft the berth requests"],
    ["tasks", "list"],
    ["quota"],
    ["tasks", "list"],
    ["quota"],
    ["sync", "status"],
)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sim_now(url: str) -> datetime:
    with urllib.request.urlopen(url + "/jada-local/clock", timeout=10) as response:
        return datetime.fromisoformat(json.loads(response.read())["now"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--speed", type=float, default=600)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in OUTSIDE}
    with tempfile.TemporaryDirectory(prefix="jada-bench-serve-") as scratch:
        began = time.perf_counter()
        proc = subprocess.Popen(
            [JADA, "local", "serve", "--port", "0", "--speed", f"{args.speed:g}"],
            cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert proc.stdout is not None
        url = ""
        for line in proc.stdout:
            if line.startswith("export JADA_ENDPOINT="):
                url = line.split("=", 1)[1].strip()
                break
        if not url:
            sys.exit("serve did not start")
        print(f"start-up (synth, provision, endpoint): {time.perf_counter() - began:.1f} s")
        cli_env = {**env, "JADA_ENDPOINT": url}
        latencies: dict[str, list[float]] = {}
        for command in COMMANDS:
            t = time.perf_counter()
            subprocess.run([JADA, *command], env=cli_env, capture_output=True, check=True)
            latencies.setdefault(" ".join(command[:2]), []).append(time.perf_counter() - t)
        for name, values in latencies.items():
            print(f"jada {name:<12} {statistics.median(values) * 1000:6.0f} ms (median of {len(values)})")
        start_real, start_sim = time.monotonic(), sim_now(url)
        print(f"{'real s':>7} {'sim s':>9} {'achieved x':>10} {'RSS MB':>7}")
        while time.monotonic() - start_real < args.seconds:
            time.sleep(min(10.0, args.seconds / 6))
            real = time.monotonic() - start_real
            simulated = (sim_now(url) - start_sim).total_seconds()
            print(f"{real:7.1f} {simulated:9.0f} {simulated / real:10.1f} {rss_mb(proc.pid):7.1f}")
        proc.send_signal(signal.SIGINT)
        t = time.perf_counter()
        code = proc.wait(timeout=60)
        tail = proc.stdout.read().strip().splitlines()
        print(f"stopped (exit {code}) in {time.perf_counter() - t:.1f} s: {tail[-1] if tail else ''}")


if __name__ == "__main__":
    main()
