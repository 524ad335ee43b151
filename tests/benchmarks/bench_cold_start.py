"""Cold start of every Lambda handler: the time a fresh interpreter takes to import the handler
module, next to a bare `import boto3` (the floor every function pays). Target: poll <= 1.3x.

Runs alternate between the targets (one fresh process each, round after round) so that a busy
machine slows them all alike; figures are medians, in wall time and in CPU time (steadier when
other work shares the machine). A first, unmeasured round compiles the bytecode into a private
cache, so every target is measured with its bytecode compiled, as installed packages are.
The last line is the poll's whole cold start: import plus its first, idle invocation (one DynamoDB
Query, answered by a loopback stub), which also pays for whatever an import left for later.

    .venv/bin/python tests/benchmarks/bench_cold_start.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = ("poll", "turn_batch", "session_end", "sheet_sync")
BASELINE = "import boto3"
POLL_TARGET = 1.3
TIMER = """
import time
wall, cpu = time.perf_counter(), time.process_time()
{code}
print(json.dumps([(time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000]))
"""
IDLE_POLL = """
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "poll", 256, "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:poll"
    def get_remaining_time_in_millis(self): return 30000
with contextlib.redirect_stdout(io.StringIO()):
    out = module.handler({"scheduled_time": "2026-05-12T22:00:00Z"}, Context())
assert out["runnable"] == 0, out
"""


def handler_import(folder: str) -> str:
    """Import functions/<folder>/handler.py as Lambda does: by file, as the module `handler`."""
    path = ROOT / "functions" / folder / "handler.py"
    return (
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('handler', {str(path)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)"
    )


def run(code: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, CPU ms) of `code` in a fresh interpreter, its start-up excluded."""
    script = "import contextlib, io, json\n" + TIMER.format(code=code)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    wall, cpu = json.loads(out.stdout.strip().splitlines()[-1])
    return wall, cpu


@contextmanager
def dynamodb_stub() -> Iterator[str]:
    """A loopback endpoint that answers every request with an empty Query result."""

    class Stub(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b'{"Count": 0, "ScannedCount": 0, "Items": []}'
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def measure(runs: int, pycache: str, endpoint: str) -> dict[str, list[tuple[float, float]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        PYTHONPYCACHEPREFIX=pycache,
        AWS_LAMBDA_FUNCTION_NAME="bench",  # what Powertools sees on Lambda
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_ENDPOINT_URL=endpoint,
        TASKS_TABLE="tasks",
        COUNTERS_TABLE="counters",
        STATE_MACHINE_ARN="arn:aws:states:us-east-1:123456789012:stateMachine:bench",
        POWERTOOLS_SERVICE_NAME="jada",
        POWERTOOLS_METRICS_NAMESPACE="Jada",
    )
    targets = {
        "import boto3": BASELINE,
        **{name: handler_import(name) for name in HANDLERS},
        "poll + idle run": handler_import("poll") + "\n" + IDLE_POLL,
    }
    for code in targets.values():  # compile the bytecode once, unmeasured
        run(code, env)
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in targets}
    for _ in range(runs):
        for name, code in targets.items():
            timings[name].append(run(code, env))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per target (default 7)")
    runs = max(1, parser.parse_args().runs)
    with tempfile.TemporaryDirectory(prefix="jada-pycache-") as pycache, dynamodb_stub() as endpoint:
        timings = measure(runs, pycache, endpoint)
    floor = [statistics.median(t[i] for t in timings["import boto3"]) for i in (0, 1)]
    print(f"Cold import (Python {sys.version.split()[0]}, median of {runs} alternating fresh processes)")
    print(f"  {'':<16}{'wall ms':>9}{'x boto3':>9}{'CPU ms':>9}{'x boto3':>9}")
    for name, values in timings.items():
        wall, cpu = (statistics.median(t[i] for t in values) for i in (0, 1))
        print(f"  {name:<16}{wall:9.1f}{wall / floor[0]:9.2f}{cpu:9.1f}{cpu / floor[1]:9.2f}")
    poll = [statistics.median(t[i] for t in timings["poll"]) / floor[i] for i in (0, 1)]
    verdict = "meets" if max(poll) <= POLL_TARGET else "misses"
    print(
        f"  poll import: {poll[0]:.2f}x (wall), {poll[1]:.2f}x (CPU): {verdict} the target <= {POLL_TARGET}x"
    )


if __name__ == "__main__":
    main()
