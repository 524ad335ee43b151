"""How long checkpoints live: written to expire after the retention, kept with no expiry while the
task is parked, released to expire after the retention once it is finished. DynamoDB TTL and the
bucket's lifecycle are applied by `tests.fakes.expiry` at the simulated time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest
import time_machine
from jada.clock import epoch
from jada.stores.checkpoints import OFFLOAD_BYTES, CheckpointStore, object_prefix, turn_key

from tests.conftest import NOW
from tests.fakes.expiry import apply_lifecycle, expire_items
from tests.functional.stores.test_checkpoints import turn

DAY = timedelta(days=1)
#: the checkpoint bucket's rules as the template declares them (tests/infra/test_state.py checks it)
LIFECYCLE = [
    {
        "Status": "Enabled",
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        "ExpiredObjectDeleteMarker": True,
    }
]


@pytest.fixture
def store(cloud: Any) -> CheckpointStore:
    boto3.client("s3").put_bucket_versioning(
        Bucket=cloud.checkpoint_bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    return cloud.checkpoints()


def expiries(cloud: Any, task_id: str = "t1") -> dict[str, int | None]:
    items = boto3.resource("dynamodb").Table(cloud.checkpoints_table).scan()["Items"]
    return {
        i["turn_key"]: (int(i["expires_at"]) if "expires_at" in i else None)
        for i in items
        if i["task_id"] == task_id
    }


def live_objects(cloud: Any, task_id: str = "t1") -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=cloud.checkpoint_bucket, Prefix=object_prefix(task_id))
    return [o["Key"] for o in listed.get("Contents", [])]


def age(cloud: Any, when: Any) -> None:
    """Let DynamoDB TTL and the bucket's lifecycle run at `when`."""
    expire_items(cloud.checkpoints_table, when)
    apply_lifecycle(cloud.checkpoint_bucket, LIFECYCLE, when)


def big(session: int, number: int) -> Any:
    return turn(session, number, text="b" * (OFFLOAD_BYTES + 1))


def test_a_written_turn_expires_after_the_retention_unless_kept(store: CheckpointStore, cloud: Any) -> None:
    store.append(turn(1, 1), NOW)
    store.append(turn(1, 2), NOW)
    store.save_reply("t1", 1, 3, {"content": []}, NOW)
    assert set(expiries(cloud).values()) == {epoch(NOW + 30 * DAY)}

    # When the task parks: turns lose their expiry; the reply keeps its own
    assert store.keep("t1", NOW, restore_objects=False) == 2
    assert expiries(cloud) == {"s0001#t0001": None, "s0001#t0002": None, "r0001#t0003": epoch(NOW + 30 * DAY)}
    # Then 40 days later the turns are still there
    age(cloud, NOW + 40 * DAY)
    assert [r.turn for r in store.load_task("t1")] == [1, 2]


def test_a_finished_task_expires_retention_days_after_it_finished(store: CheckpointStore, cloud: Any) -> None:
    # Given a task parked 40 days with an offloaded turn, then finished
    with time_machine.travel(NOW, tick=False):  # S3 dates its versions and markers by the clock
        store.append(big(1, 1), NOW)
        store.append(turn(1, 2), NOW)
        store.keep("t1", NOW, restore_objects=False)
    finished = NOW + 40 * DAY
    with time_machine.travel(finished, tick=False):
        assert store.release("t1", finished) == 2
    assert set(expiries(cloud).values()) == {epoch(finished + 30 * DAY)}
    assert live_objects(cloud) == []  # hidden by a delete marker, its data kept as an old version
    assert store.release("t1", finished) == 0  # a repeat changes nothing

    # Then it is all still stored a day before the retention ends, and all gone after it
    age(cloud, finished + 29 * DAY)
    assert len(expiries(cloud)) == 2
    versions = boto3.client("s3").list_object_versions(Bucket=cloud.checkpoint_bucket)
    assert len(versions.get("Versions", [])) == 1
    age(cloud, finished + 30 * DAY)
    assert expiries(cloud) == {}
    versions = boto3.client("s3").list_object_versions(Bucket=cloud.checkpoint_bucket)
    assert versions.get("Versions", []) == []
    assert versions.get("DeleteMarkers", []) == []


def test_release_also_deletes_orphaned_objects(store: CheckpointStore, cloud: Any) -> None:
    # Given an object a crashed write left without its item
    orphan = f"{object_prefix('t1')}s0001/t0009-0123456789abcdef.json"
    boto3.client("s3").put_object(Bucket=cloud.checkpoint_bucket, Key=orphan, Body=b"{}")
    boto3.client("s3").put_object(Bucket=cloud.checkpoint_bucket, Key=f"{object_prefix('t10')}x", Body=b"{}")
    store.append(turn(1, 1), NOW)
    store.release("t1", NOW)
    assert live_objects(cloud) == []
    assert live_objects(cloud, "t10") != []  # another task's prefix is left alone


def test_keep_after_release_brings_the_history_back(store: CheckpointStore, cloud: Any) -> None:
    # Given a failed task (released) retried 20 days later
    with time_machine.travel(NOW, tick=False):
        store.append(big(1, 1), NOW)
        store.append(turn(1, 2), NOW)
    with time_machine.travel(NOW + DAY, tick=False):
        store.release("t1", NOW + DAY)
    retried = NOW + 20 * DAY
    with time_machine.travel(retried, tick=False):
        assert store.keep("t1", retried) == 2
        assert store.keep("t1", retried) == 0  # a repeat changes nothing
    # Then turns and objects survive long past the old expiry
    age(cloud, NOW + 100 * DAY)
    assert [r.turn for r in store.load_task("t1")] == [1, 2]
    assert store.load_task("t1")[0] == big(1, 1)


def test_keep_drops_whole_sessions_already_past_their_expiry(store: CheckpointStore, cloud: Any) -> None:
    # Given session 1 released long ago and half deleted by TTL, and session 2 without expiry
    for number in (1, 2, 3):
        store.append(turn(1, number), NOW)
    store.release("t1", NOW)
    table = boto3.resource("dynamodb").Table(cloud.checkpoints_table)
    table.delete_item(Key={"task_id": "t1", "turn_key": turn_key(1, 2)})  # TTL got to this one first
    store.append(turn(2, 1), NOW + 40 * DAY)
    store.keep("t1", NOW + 40 * DAY, restore_objects=False)
    # When the task is kept (after the expiry): what is left of session 1 goes, with no gap left
    assert [(r.session, r.turn) for r in store.load_task("t1")] == [(2, 1)]
    assert expiries(cloud) == {"s0002#t0001": None}


def test_stamping_never_recreates_a_turn_that_expired_meanwhile(store: CheckpointStore, cloud: Any) -> None:
    store.append(turn(1, 1), NOW)
    items = store._turn_items("t1")
    boto3.resource("dynamodb").Table(cloud.checkpoints_table).delete_item(
        Key={"task_id": "t1", "turn_key": turn_key(1, 1)}
    )
    assert [i["turn_key"] for i in items] == [turn_key(1, 1)]
    assert store.release("t1", NOW) == 0
    assert expiries(cloud) == {}
