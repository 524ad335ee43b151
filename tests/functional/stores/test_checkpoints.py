"""CheckpointStore against DynamoDB and S3 in moto: one item per turn, S3 offload, integrity."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import boto3
import pytest
from jada.clock import epoch
from jada.errors import CheckpointConflict, CheckpointCorrupt, CheckpointMissing
from jada.models import TurnRecord
from jada.stores.checkpoints import OFFLOAD_BYTES, CheckpointStore, turn_key

from tests.conftest import NOW


def turn(session: int, number: int, text: str = "", task_id: str = "t1") -> TurnRecord:
    text = text or f"turn {number} of session {session}"
    return TurnRecord(
        task_id=task_id,
        session=session,
        turn=number,
        messages=[
            {"role": "assistant", "content": [{"type": "text", "text": text}]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": f"tu{number}", "content": "ok"}],
            },
        ],
        stop_reason="tool_use",
        created_at="2026-05-12T22:00:00Z",
    )


@pytest.fixture
def store(cloud: Any) -> CheckpointStore:
    return cloud.checkpoints()


def table(cloud: Any) -> Any:
    return boto3.resource("dynamodb").Table(cloud.checkpoints_table)


def s3_keys(cloud: Any) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=cloud.checkpoint_bucket)
    return [o["Key"] for o in listed.get("Contents", [])]


# --- append and load --------------------------------------------------------------------------
def test_turns_load_in_order_per_session_and_across_sessions(store: CheckpointStore) -> None:
    # Given turns of two sessions appended out of order (session 2 written between session 1's)
    records = [turn(1, 1), turn(1, 2), turn(2, 1), turn(1, 3), turn(2, 2)]
    for record in records:
        store.append(record, NOW)
    store.append(turn(1, 1, task_id="other"), NOW)
    # When loaded
    # Then each session comes back in turn order, and the task in session-then-turn order
    assert store.load_session("t1", 1) == [turn(1, 1), turn(1, 2), turn(1, 3)]
    assert store.load_session("t1", 2) == [turn(2, 1), turn(2, 2)]
    assert store.load_task("t1") == [turn(1, 1), turn(1, 2), turn(1, 3), turn(2, 1), turn(2, 2)]


def test_loading_a_session_with_no_turns_gives_an_empty_list(store: CheckpointStore) -> None:
    store.append(turn(1, 1), NOW)
    assert store.load_session("t1", 2) == []
    assert store.load_task("nobody") == []


def test_turn_keys_sort_numerically() -> None:
    keys = [turn_key(s, t) for s in (1, 2, 10) for t in (1, 2, 9, 10, 100)]
    assert sorted(keys) == keys


def test_items_carry_a_ttl_of_the_retention(cloud: Any) -> None:
    store = CheckpointStore(cloud.checkpoints_table, cloud.checkpoint_bucket, retention_days=7)
    store.append(turn(1, 1), NOW)
    item = table(cloud).get_item(Key={"task_id": "t1", "turn_key": turn_key(1, 1)})["Item"]
    assert int(item["expires_at"]) == epoch(NOW + timedelta(days=7))


def test_loading_pages_through_more_than_one_megabyte(store: CheckpointStore) -> None:
    # Given 12 turns of ~200 KB each (2.4 MB: several Query pages)
    records = [turn(1, n, text=f"{n}" + "x" * 200_000) for n in range(1, 13)]
    for record in records:
        store.append(record, NOW)
    # When loaded, Then all of them come back in order
    assert [r.turn for r in store.load_session("t1", 1)] == list(range(1, 13))


# --- write cost does not grow -----------------------------------------------------------------
def test_bytes_written_per_turn_do_not_grow_with_the_transcript(store: CheckpointStore) -> None:
    # Given a conversation where every turn adds a similar amount of text
    written = {n: store.append(turn(1, n, text=f"step {n:02d} " + "y" * 2_000), NOW) for n in range(1, 31)}
    transcript = sum(len(r.model_dump_json()) for r in store.load_session("t1", 1))
    # Then turn 30 costs what turn 1 cost, a thirtieth of the transcript
    assert abs(written[30] - written[1]) <= 8
    assert written[30] * 25 < transcript


def test_append_reports_the_bytes_it_wrote(store: CheckpointStore) -> None:
    record = turn(1, 1)
    assert store.append(record, NOW) == len(record.model_dump_json().encode())


# --- offload to S3 ----------------------------------------------------------------------------
def test_a_turn_over_400_kb_round_trips_through_s3(store: CheckpointStore, cloud: Any) -> None:
    # Given a turn of ~420 KB (over DynamoDB's 400 KB item limit), between two small ones
    big = turn(1, 2, text="é" * 210_000)  # 2 bytes each in UTF-8
    assert len(big.model_dump_json().encode()) > 400 * 1024
    store.append(turn(1, 1), NOW)
    written = store.append(big, NOW)
    store.append(turn(1, 3), NOW)
    # When the session is loaded
    loaded = store.load_session("t1", 1)
    # Then the big turn is back intact, its item holds a pointer (no body), and S3 holds the bytes
    assert loaded == [turn(1, 1), big, turn(1, 3)]
    item = table(cloud).get_item(Key={"task_id": "t1", "turn_key": turn_key(1, 2)})["Item"]
    assert "body" not in item
    assert s3_keys(cloud) == [item["s3_key"]]
    assert written >= len(big.model_dump_json().encode())


def test_the_offload_threshold(store: CheckpointStore, cloud: Any) -> None:
    # A turn just under the threshold stays in DynamoDB; just over goes to S3
    overhead = len(turn(1, 1, text="z").model_dump_json().encode()) - 1
    store.append(turn(1, 1, text="a" * (OFFLOAD_BYTES - overhead)), NOW)
    store.append(turn(1, 2, text="a" * (OFFLOAD_BYTES - overhead + 1)), NOW)
    assert len(s3_keys(cloud)) == 1
    assert "s3_key" in table(cloud).get_item(Key={"task_id": "t1", "turn_key": turn_key(1, 2)})["Item"]


def test_missing_s3_object_raises_checkpoint_missing(store: CheckpointStore, cloud: Any) -> None:
    store.append(turn(1, 1, text="b" * 400_000), NOW)
    boto3.client("s3").delete_object(Bucket=cloud.checkpoint_bucket, Key=s3_keys(cloud)[0])
    with pytest.raises(CheckpointMissing, match="S3 object"):
        store.load_session("t1", 1)


# --- idempotence and conflicts ----------------------------------------------------------------
def test_the_same_turn_appended_twice_is_a_no_op(store: CheckpointStore, cloud: Any) -> None:
    store.append(turn(1, 1), NOW)
    store.append(turn(1, 1), NOW + timedelta(minutes=1))
    assert store.load_session("t1", 1) == [turn(1, 1)]
    assert table(cloud).scan()["Count"] == 1


def test_the_same_turn_with_different_content_conflicts_and_keeps_the_first(store: CheckpointStore) -> None:
    store.append(turn(1, 1, text="first"), NOW)
    with pytest.raises(CheckpointConflict):
        store.append(turn(1, 1, text="second"), NOW)
    assert store.load_session("t1", 1) == [turn(1, 1, text="first")]


def test_a_conflicting_offloaded_turn_leaves_the_stored_one_intact(store: CheckpointStore) -> None:
    # Given a big turn offloaded to S3
    first = turn(1, 1, text="f" * 400_000)
    store.append(first, NOW)
    # When a different big turn is appended under the same key
    with pytest.raises(CheckpointConflict):
        store.append(turn(1, 1, text="g" * 400_000), NOW)
    # Then the first turn still loads (its S3 object was not overwritten)
    assert store.load_session("t1", 1) == [first]


def test_the_same_offloaded_turn_appended_twice_is_a_no_op(store: CheckpointStore, cloud: Any) -> None:
    big = turn(1, 1, text="h" * 400_000)
    store.append(big, NOW)
    store.append(big, NOW)
    assert store.load_session("t1", 1) == [big]
    assert len(s3_keys(cloud)) == 1


# --- corruption and gaps ----------------------------------------------------------------------
def put_raw(cloud: Any, key: str, **fields: Any) -> None:
    table(cloud).put_item(Item={"task_id": "t1", "turn_key": key, "expires_at": 0, **fields})


def test_a_body_that_is_not_json_raises_checkpoint_corrupt(store: CheckpointStore, cloud: Any) -> None:
    body = "{not json"
    put_raw(cloud, turn_key(1, 1), body=body, sha256=hashlib.sha256(body.encode()).hexdigest())
    with pytest.raises(CheckpointCorrupt, match="cannot be decoded"):
        store.load_session("t1", 1)


def test_a_body_that_is_json_but_not_a_turn_raises_checkpoint_corrupt(
    store: CheckpointStore, cloud: Any
) -> None:
    body = '{"hello": "world"}'
    put_raw(cloud, turn_key(1, 1), body=body, sha256=hashlib.sha256(body.encode()).hexdigest())
    with pytest.raises(CheckpointCorrupt):
        store.load_session("t1", 1)


def test_a_sha_mismatch_raises_checkpoint_corrupt(store: CheckpointStore, cloud: Any) -> None:
    # Given a stored turn whose body was altered after writing
    store.append(turn(1, 1), NOW)
    item = table(cloud).get_item(Key={"task_id": "t1", "turn_key": turn_key(1, 1)})["Item"]
    table(cloud).put_item(Item={**item, "body": item["body"].replace("turn 1", "turn X")})
    # When loaded, Then the integrity check names the checkpoint
    with pytest.raises(CheckpointCorrupt, match=r"t1/s0001#t0001.*SHA-256"):
        store.load_task("t1")


def test_an_altered_s3_object_raises_checkpoint_corrupt(store: CheckpointStore, cloud: Any) -> None:
    store.append(turn(1, 1, text="c" * 400_000), NOW)
    boto3.client("s3").put_object(Bucket=cloud.checkpoint_bucket, Key=s3_keys(cloud)[0], Body=b"{}")
    with pytest.raises(CheckpointCorrupt):
        store.load_session("t1", 1)


def test_an_item_with_neither_body_nor_pointer_raises_checkpoint_corrupt(
    store: CheckpointStore, cloud: Any
) -> None:
    put_raw(cloud, turn_key(1, 1), sha256="0" * 64)
    with pytest.raises(CheckpointCorrupt, match="neither"):
        store.load_session("t1", 1)


@pytest.mark.parametrize("stored", [[1, 2, 4], [2, 3], [1, 3]])
def test_a_gap_in_the_turns_raises_checkpoint_missing(store: CheckpointStore, stored: list[int]) -> None:
    for n in stored:
        store.append(turn(1, n), NOW)
    with pytest.raises(CheckpointMissing, match="gap"):
        store.load_session("t1", 1)
    with pytest.raises(CheckpointMissing):
        store.load_task("t1")


def test_fewer_turns_than_expected_raises_checkpoint_missing(store: CheckpointStore) -> None:
    # Given a session whose state says 3 turns ran, but only 2 are stored (the last one lost)
    store.append(turn(1, 1), NOW)
    store.append(turn(1, 2), NOW)
    # When loaded with the expected count, Then the loss is named
    assert len(store.load_session("t1", 1, expected_turns=2)) == 2
    with pytest.raises(CheckpointMissing, match="3"):
        store.load_session("t1", 1, expected_turns=3)
