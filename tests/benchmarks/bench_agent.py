"""Turn-batch figures: handler import time, checkpoint bytes per turn, cacheable request prefix.

Runs offline: moto for the stores, the loopback Messages API fake for the model (real SDK).
Usage: .venv/bin/python benchmarks/bench_agent.py
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HANDLER = ROOT / "functions" / "turn_batch" / "handler.py"
TURNS = 30

IMPORT_SNIPPET = f"""
import importlib.util, sys, time
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("turn_batch_handler", {str(HANDLER)!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(time.perf_counter() - start, "anthropic" in sys.modules)
"""


def import_times(runs: int = 3) -> tuple[list[float], bool]:
    times, loaded = [], False
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_SNIPPET], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.split()
        times.append(float(out[0]))
        loaded = loaded or out[1] == "True"
    return times, loaded


def session_figures() -> tuple[list[int], list[bytes]]:
    """Run one 30-turn session; return checkpoint bytes per turn and each request in cache order."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "jada",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        os.environ[key] = value
    import boto3
    from anthropic import Anthropic
    from jada.agent.prompts import HANDOFF_MARK
    from jada.agent.turns import Agent, BatchState, run_batch
    from jada.settings import Settings
    from jada.stores import schema
    from jada.stores.checkpoints import CheckpointStore
    from jada.stores.tasks import TaskStore
    from jada_tools.fakes.model_server import ModelServer, reply, tool_use
    from moto import mock_aws

    now = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)
    counter = iter(range(1, 1000))

    def respond(request: dict[str, Any]) -> Any:
        n = next(counter)
        last = request["messages"][-1]["content"]
        if any(HANDOFF_MARK in b.get("text", "") for b in last):
            return reply(
                tool_use("save_progress", {"note": "Halfway: pages 1-12 written."}, f"toolu_s{n:04d}")
            )
        return reply(
            tool_use("create_task", {"title": f"page {n}", "prompt": f"Write page {n}."}, f"toolu_c{n:04d}")
        )

    with mock_aws(), ModelServer(respond) as server:
        ddb = boto3.client("dynamodb")
        ddb.create_table(**schema.TASKS.create_kwargs("tasks"))
        ddb.create_table(**schema.CHECKPOINTS.create_kwargs("checkpoints"))
        boto3.client("s3").create_bucket(Bucket="checkpoints")
        tasks = TaskStore("tasks")
        task = tasks.create(prompt="Write the crew pages, one task per page.", title="crew pages", now=now)
        agent = Agent(
            tasks=tasks,
            checkpoints=CheckpointStore("checkpoints", "checkpoints"),
            client=Anthropic(base_url=server.base_url, api_key="bench", max_retries=0),
            settings=Settings.model_validate({"turns_per_session": TURNS, "turns_per_batch": TURNS}),
            remaining_s=lambda: 900.0,
            clock=lambda: now,
        )
        result = run_batch(BatchState(task_id=task.task_id, session=1), agent)
        requests = [cache_order(r) for r in server.requests]
    return result.checkpoint_bytes, requests


def cache_order(request: dict[str, Any]) -> bytes:
    """The request as the prompt cache sees it: tools, then system, then messages (no markers)."""

    def unmark(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: unmark(v) for k, v in value.items() if k != "cache_control"}
        if isinstance(value, list):
            return [unmark(v) for v in value]
        return value

    parts = [request["tools"], request["system"], request["messages"]]
    return json.dumps(unmark(parts), separators=(",", ":")).encode()


def shared_prefix(before: bytes, after: bytes) -> int:
    size = min(len(before), len(after))
    return next((i for i in range(size) if before[i] != after[i]), size)


def main() -> None:
    times, loaded = import_times()
    median = statistics.median(times) * 1000
    print(f"handler import (fresh process): min {min(times) * 1000:.0f} ms, median {median:.0f} ms; "
          f"anthropic imported at load: {loaded}")  # fmt: skip
    written, requests = session_figures()
    print("checkpoint bytes per turn: " + ", ".join(f"turn {t}: {written[t - 1]}" for t in (1, 15, TURNS)))
    print(f"checkpoint bytes, turns 2-{TURNS}: min {min(written[1:])}, max {max(written[1:])}")
    shares = [shared_prefix(a, b) / len(b) for a, b in itertools.pairwise(requests)]
    print(
        "request bytes identical to the previous request's prefix: "
        + ", ".join(f"turn {t}: {shares[t - 2]:.1%}" for t in (2, 15, TURNS))
        + f"; mean {statistics.mean(shares):.1%}"
    )
    print(f"request size: turn 1 {len(requests[0])} B, turn {TURNS} {len(requests[-1])} B")


if __name__ == "__main__":
    main()
