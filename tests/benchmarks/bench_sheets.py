"""Sheet sync on a 10,000-row sheet: Sheets API calls, DynamoDB requests, wall time, peak memory.

Real google-auth / googleapiclient against the loopback Google fake; DynamoDB and Secrets Manager in
moto, so wall times are mostly moto's in-process emulation (shown separately), not network latency.

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
from typing import Any

import boto3
from jada.settings import Settings
from jada.sheets.api import SheetReader
from jada.sheets.mirror import parse_sheet, plan_mirror
from jada.sheets.store import SheetStore
from jada.sheets.sync import SyncConfig, run_sync
from jada.sheets.token import TokenEndpoint, TokenSource, refresh
from jada.stores import schema
from jada_tools.fakes.google_server import HEADER, GoogleFake
from moto import mock_aws

WRITES = {"BatchWriteItem", "PutItem", "UpdateItem"}
START = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)
SECRET = {"refresh_token": "bench", "client_id": "c", "client_secret": "s", "app_status": "testing"}


def sheet(rows: int) -> list[list[str]]:
    return [HEADER] + [
        [f"port-{i:05d}", "PT", "2026-05-14", "2026-05-15", f"B{i % 40}", "confirmed"] for i in range(rows)
    ]


class DynamoMeter:
    """Counts DynamoDB requests by operation and the time spent in them (botocore events)."""

    def __init__(self, session: boto3.Session) -> None:
        self.calls: Counter[str] = Counter()
        self.seconds = 0.0
        self._started = 0.0
        session.events.register("before-call.dynamodb.*", self._before)
        session.events.register("after-call.dynamodb.*", self._after)

    def _before(self, model: Any, **_: Any) -> None:
        self.calls.update([model.name])
        self._started = time.perf_counter()

    def _after(self, **_: Any) -> None:
        self.seconds += time.perf_counter() - self._started

    def reset(self) -> None:
        self.calls.clear()
        self.seconds = 0.0


def main(rows: int) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws(), GoogleFake(rows=sheet(rows)) as google:
        session = boto3.Session()
        meter = DynamoMeter(session)  # before any client is made: clients copy the session's hooks
        session.client("dynamodb").create_table(**schema.SHEET.create_kwargs("sheet"))
        boto3.client("secretsmanager").create_secret(Name="token", SecretString=json.dumps(SECRET))
        store = SheetStore("sheet", table=session.resource("dynamodb").Table("sheet"))
        config = SyncConfig.from_settings(Settings(spreadsheet_id="bench"), token_uri=google.token_uri)
        reader = SheetReader(google.sheets_endpoint)

        def run(label: str, minute: int) -> None:
            meter.reset()
            google.requests.clear()
            began = time.perf_counter()
            result = run_sync(
                config,
                tokens=TokenSource("token", max_age=0),
                reader=reader,
                store=store,
                now=START + timedelta(minutes=minute),
            )
            elapsed = time.perf_counter() - began
            writes = {op: n for op, n in sorted(meter.calls.items()) if op in WRITES}
            print(
                f"{label:<28} rows={result.rows} written={result.written} tombstoned={result.tombstoned} | "
                f"sheets_api_calls={len(google.calls('sheets'))} token_refreshes={len(google.calls('token'))}"
                f" | dynamodb_write_requests={sum(writes.values())} {writes} queries={meter.calls['Query']}"
                f" | wall={elapsed:.1f}s of which moto DynamoDB {meter.seconds:.1f}s"
            )

        def working_set() -> None:
            """Peak Python memory of read + parse + plan: what the Lambda holds, without moto's tables."""
            stored = store.stored_rows()
            record = TokenSource("token", max_age=0).load()
            assert record is not None
            credentials = record.credentials(google.token_uri)
            refresh(credentials, TokenEndpoint())
            tracemalloc.start()
            parsed = parse_sheet(reader.read(credentials, "bench", config.sheet_range), config.key_column)
            plan_mirror(parsed, stored)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"read+parse+plan peak Python memory (tracemalloc): {peak / 2**20:.1f} MiB")

        print(f"sheet: {rows} rows x {len(HEADER)} columns")
        run("first sync (all rows new)", 0)
        run("unchanged sheet", 30)
        changed = max(1, rows // 100)
        for i in range(0, rows, rows // changed):
            google.rows[1 + i][5] = "cancelled"
        run(f"1% changed ({changed} rows)", 60)
        del google.rows[1 : 1 + rows // 1000]
        run(f"0.1% removed ({rows // 1000} rows)", 90)
        working_set()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
