"""Cold start of the CLI's read commands: a fresh `jada` process per run, against a moto server
(30 tasks, one with two sessions of 10 checkpointed turns, the sheet table, the token secret).
Medians of wall time and of the child's CPU time (steadier when other work shares the machine),
next to the floor every command pays (`python -c "import boto3"`), and the import of the CLI
alone with the heavy clients it must never pull in (anthropic, googleapiclient).

    .venv/bin/python tests/benchmarks/bench_cli.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
JADA = str(Path(sys.executable).parent / "jada")
HEAVY = "[m for m in ('anthropic', 'googleapiclient') if m in sys.modules]"
IMPORT = "import sys, jada_tools.cli.main; print(" + HEAVY + ")"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def provision(endpoint: str) -> tuple[dict[str, str], str]:
    import boto3
    from jada.clock import iso
    from jada.lifecycle import SessionOutcome, TaskStatus
    from jada.models import SessionRecord, TurnRecord, Usage
    from jada.stores import schema
    from jada.stores.checkpoints import CheckpointStore
    from jada.stores.tasks import TaskStore

    kw: dict[str, Any] = {"endpoint_url": endpoint}
    ddb = boto3.client("dynamodb", **kw)
    tables = {"tasks": schema.TASKS, "counters": schema.COUNTERS, "checkpoints": schema.CHECKPOINTS,
              "sheet": schema.SHEET}  # fmt: skip
    for name, spec in tables.items():
        ddb.create_table(**spec.create_kwargs(name))
    boto3.client("s3", **kw).create_bucket(Bucket="checkpoints")
    secret = boto3.client("secretsmanager", **kw).create_secret(Name="token")["ARN"]
    now = datetime.now(UTC)
    tasks = TaskStore("tasks", boto3.resource("dynamodb", **kw).Table("tasks"))
    checkpoints = CheckpointStore("checkpoints", "checkpoints",
                                  table=boto3.resource("dynamodb", **kw).Table("checkpoints"),
                                  s3=boto3.client("s3", **kw))  # fmt: skip
    for i in range(30):
        task = tasks.create(prompt=f"task {i}", now=now)
    for n in (1, 2):
        record = SessionRecord(number=n, execution=task.execution_name(n), started_at=iso(now))
        tasks.claim(tasks.get(task.task_id), session=record, now=now)
        done = record.model_copy(
            update={"ended_at": iso(now), "turns": 10, "outcome": SessionOutcome.TURN_LIMIT}
        )
        tasks.transition(task.task_id, TaskStatus.SUSPENDED, now=now, session=done)
        for t in range(1, 11):
            call = {"type": "tool_use", "id": f"t{n}{t}", "name": "save_progress", "input": {"note": "x"}}
            answer = {"type": "tool_result", "tool_use_id": f"t{n}{t}", "content": "Progress saved."}
            messages = [{"role": "assistant", "content": [{"type": "text", "text": "working " * 50}, call]},
                        {"role": "user", "content": [answer]}]  # fmt: skip
            checkpoints.append(TurnRecord(task_id=task.task_id, session=n, turn=t, messages=messages,
                                          stop_reason="tool_use", usage=Usage(input_tokens=100),
                                          created_at=iso(now)), now)  # fmt: skip
    outputs = {
        "TasksTableName": "tasks",
        "CountersTableName": "counters",
        "CheckpointsTableName": "checkpoints",
        "CheckpointBucketName": "checkpoints",
        "SheetTableName": "sheet",
        "GoogleTokenSecretArn": secret,
        "StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:JadaSession",
    }
    return outputs, task.task_id


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) milliseconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr}")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    from moto.server import ThreadedMotoServer

    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        outputs, task_id = provision(endpoint)
        env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "JADA_OUTPUTS_JSON": json.dumps(outputs)}
        commands = {
            "jada --help": ["--help"],
            "jada tasks list": ["tasks", "list"],
            "jada tasks show ID": ["tasks", "show", task_id],
            "jada tasks transcript ID": ["tasks", "transcript", task_id],
            "jada quota": ["quota"],
            "jada status": ["status"],
            "jada sync status": ["sync", "status"],
        }
        commands = {"python -c 'import boto3'": [sys.executable, "-c", "import boto3"],
                    "import jada_tools.cli.main": [sys.executable, "-c", IMPORT],
                    **{name: [JADA, *args] for name, args in commands.items()}}  # fmt: skip
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        heavy = ""
        for _ in range(runs + 1):  # the first round compiles bytecode; not counted
            for name, argv in commands.items():
                wall, cpu = timed(argv, env)
                times[name].append((wall, cpu))
                if name == "import jada_tools.cli.main":
                    heavy = subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stdout
        print(f"CLI cold start, medians of {runs} fresh processes, moto server at {endpoint}")
        print(f"  {'':<28} {'wall ms':>8} {'cpu ms':>8}")
        for name, values in times.items():
            walls, cpus = [v[0] for v in values[1:]], [v[1] for v in values[1:]]
            print(f"  {name:<28} {statistics.median(walls):>8.0f} {statistics.median(cpus):>8.0f}")
        print(f"  heavy clients imported by the CLI: {heavy.strip()}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
