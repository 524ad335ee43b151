"""On the frozen simulated clock, two writes of one key in the same instant keep their order."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from jada.workspace.store import WorkspaceStore
from jada_tools.local.simclock import MotoS3Ticks, SimClock
from moto import mock_aws


def test_the_newest_write_in_one_simulated_instant_is_the_current_version() -> None:
    clock = SimClock(datetime(2026, 5, 12, 21, 0, tzinfo=UTC)).start()
    try:
        with mock_aws(), MotoS3Ticks():
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket="workspace")
            s3.put_bucket_versioning(Bucket="workspace", VersioningConfiguration={"Status": "Enabled"})
            store = WorkspaceStore("workspace", s3=s3)
            first = store.write("sites/a.com/index.html", b"<h1>old</h1>", content_type="text/html")
            second = store.write("sites/a.com/index.html", b"<h1>new</h1>", content_type="text/html")
            (current,) = store.current_versions("sites/a.com/").values()
            assert current.version_id == second.version_id != first.version_id
            assert current.etag == second.etag
            assert clock.now == datetime(2026, 5, 12, 21, 0, tzinfo=UTC)  # the clock itself did not move
    finally:
        clock.stop()
