"""Bytes written per turn by the checkpoint store, on a growing conversation (DynamoDB and S3 in moto).

Prints the bytes written at turn 1 and turn 30, the transcript size at turn 30, and what saving the
whole transcript every turn would have written instead. Run: .venv/bin/python benchmarks/bench_checkpoints.py
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime

import boto3
from jada.models import TurnRecord
from jada.stores import schema
from jada.stores.checkpoints import CheckpointStore
from moto import mock_aws

TURNS = 30
NOW = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)


def turn(number: int, rng: random.Random) -> TurnRecord:
    """One turn of an agent at work: some text, a tool call, and its result (1-5 KB, like a real turn)."""
    words = " ".join(
        rng.choice(["port", "crew", "page", "deploy", "ship", "html", "table"]) for _ in range(150)
    )
    result = "row," * rng.randint(200, 900)
    return TurnRecord(
        task_id="bench",
        session=1,
        turn=number,
        messages=[
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": f"Turn {number}: {words}"},
                    {"type": "tool_use", "id": f"toolu_{number:04d}", "name": "read_sheet", "input": {}},
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": f"toolu_{number:04d}", "content": result}],
            },
        ],
        stop_reason="tool_use",
        created_at="2026-05-12T22:00:00Z",
    )


def main() -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    with mock_aws():
        boto3.client("dynamodb").create_table(**schema.CHECKPOINTS.create_kwargs("checkpoints"))
        boto3.client("s3").create_bucket(Bucket="checkpoints")
        store = CheckpointStore("checkpoints", "checkpoints")
        rng = random.Random(7)
        written: list[int] = []
        whole: list[int] = []
        transcript = 0
        for number in range(1, TURNS + 1):
            record = turn(number, rng)
            written.append(store.append(record, NOW))
            transcript += len(record.model_dump_json().encode())
            whole.append(transcript)  # what saving the whole transcript each turn would write
        loaded = store.load_session("bench", 1)
        assert len(loaded) == TURNS
    print(f"turns: {TURNS}")
    print(f"bytes written at turn 1:   {written[0]:>9,}")
    print(f"bytes written at turn 30:  {written[-1]:>9,}")
    print(f"transcript size at turn 30: {transcript:>8,}")
    print(
        f"mean bytes written per turn: {sum(written) // TURNS:,} (min {min(written):,}, max {max(written):,})"
    )
    print(f"whole-transcript saving would write {whole[-1]:,} at turn 30 and {sum(whole):,} over 30 turns")
    print(f"append-only wrote {sum(written):,} over 30 turns")


if __name__ == "__main__":
    main()
