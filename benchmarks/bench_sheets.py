"""Sheet sync on a 10,000-row sheet: Sheets API calls, DynamoDB requests, wall time, peak memory.

Real google-auth / googleapiclient against the loopback Google fake; DynamoDB and Secrets Manager in
moto (so wall times include moto's in-process emulation, not network latency).

    .venv/bin/python benchmarks/bench_sheets.py [ROWS]
"""

from __future__ import annotations

import json
import os
import sys
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta

for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                   "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
    os.environ.setdefault(key, value)

import boto3
from moto import mock_aws

from jada.local.google_server import HEADER, GoogleFake
from jada.sheets.api import SheetReader
from jada.sheets.store import SheetStore
from jada.sheets.sync import SyncConfig, run_sync
from jada.sheets.token import TokenSource
from jada.stores import schema

WRITES = {"BatchWriteItem", "PutItem", "UpdateItem"}
START = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)


def sheet(rows: int) -> list[list[str]]:
    return [HEADER] + [
        [f"port-{i:05d}", "PT", "2026-05-14", "2026-05-15", f"B{i % 40}", "confirmed"] for i in range(rows)
    ]


def main(rows: int) -> None:
    with mock_aws(), GoogleFake(rows=sheet(rows)) as google:
        session = boto3.Session()
        calls: Counter[str] = Counter()
        session.events.register("before-call.dynamodb.*", lambda model, **_: calls.update([model.name]))
        session.client("dynamodb").create_table(**schema.SHEET.create_kwargs("sheet"))
        secret = {"refresh_token": "bench", "client_id": "c", "client_secret": "s", "app_status": "testing",
                  "obtained_at": "2026-05-10T00:00:00Z"}  # fmt: skip
        boto3.client("secretsmanager").create_secret(Name="token", SecretString=json.dumps(secret))
        store = SheetStore("sheet", table=session.resource("dynamodb").Table("sheet"))
        config = SyncConfig(spreadsheet_id="bench", token_uri=google.token_uri)
        reader = SheetReader(google.sheets_endpoint)
        reader.read  # noqa: B018 - the Sheets client is built on the first read (once per container)

        def run(label: str, minute: int) -> None:
            calls.clear()
            google.requests.clear()
            tracemalloc.start()
            began = time.perf_counter()
            result = run_sync(config, tokens=TokenSource("token", max_age=0), reader=reader, store=store,
                              now=START + timedelta(minutes=minute))  # fmt: skip
            elapsed = time.perf_counter() - began
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            writes = sum(n for op, n in calls.items() if op in WRITES)
            print(f"{label:<34} outcome={result.outcome} rows={result.rows} written={result.written} "
                  f"tombstoned={result.tombstoned} | sheets_api_calls={len(google.calls('sheets'))} "
                  f"token_calls={len(google.calls('token'))} | dynamodb_writes={writes} "
                  f"({dict(sorted((op, n) for op, n in calls.items() if op in WRITES))}) "
                  f"dynamodb_queries={calls['Query']} | wall={elapsed:.2f}s peak_mem={peak / 2**20:.1f}MiB")  # fmt: skip

        print(f"sheet: {rows} rows x {len(HEADER)} columns")
        run("first sync (all rows new)", 0)
        run("unchanged sheet", 30)
        changed = max(1, rows // 100)
        for i in range(0, rows, rows // changed):
            google.rows[1 + i][5] = "cancelled"
        run(f"1% changed ({changed} rows)", 60)
        del google.rows[1 : 1 + rows // 1000]
        run(f"0.1% removed ({rows // 1000} rows)", 90)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
