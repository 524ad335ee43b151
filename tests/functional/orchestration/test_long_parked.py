"""A task blocked for 40 simulated days resumes with its history, and a finished task's checkpoints
still expire `retention_days` (30) after it finished: the synthesized app in moto, real handlers,
the state machine run by moto, time moved by time-machine, and DynamoDB TTL and the bucket's
lifecycle applied at the simulated time by `tests.fakes.expiry` (moto runs neither)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from jada.clock import utcnow
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.orchestration import operator
from jada.stores.checkpoints import OFFLOAD_BYTES
from jada_tools.fakes.model_server import ModelServer, reply, scripted, text, tool_use
from jada_tools.local.provision import resources_of_type

from tests.fakes.expiry import apply_lifecycle, expire_items
from tests.functional.orchestration.deployed import Deployed, deploy

pytestmark = pytest.mark.slow

START = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)
DAY = timedelta(days=1)
#: what only the first session's checkpoints hold (not the task item, not the handoff note)
LEDGER = "LEDGER-7731: berth A3 is free on the 14th"
ANSWER = "Book berth A3"


def age(deployed: Deployed, template: dict[str, Any]) -> None:
    """Let DynamoDB TTL and S3 lifecycle run now, on the checkpoint table and bucket."""
    env = deployed.cloud.deployment.function_by_folder("turn_batch").environment  # type: ignore[union-attr]
    expire_items(env["CHECKPOINTS_TABLE"], utcnow())
    [bucket] = [
        b
        for lid, b in resources_of_type(template, "AWS::S3::Bucket").items()
        if lid.startswith("StateCheckpoint")
    ]
    apply_lifecycle(
        env["CHECKPOINT_BUCKET"], bucket["Properties"]["LifecycleConfiguration"]["Rules"], utcnow()
    )


def stored(deployed: Deployed) -> tuple[int, int]:
    """(turn items, S3 object versions) of the checkpoint store."""
    env = deployed.cloud.deployment.function_by_folder("turn_batch").environment  # type: ignore[union-attr]
    items = boto3.resource("dynamodb").Table(env["CHECKPOINTS_TABLE"]).scan()["Items"]
    versions = boto3.client("s3").list_object_versions(Bucket=env["CHECKPOINT_BUCKET"]).get("Versions", [])
    return sum(1 for i in items if i["turn_key"].startswith("s")), len(versions)


def test_a_task_blocked_for_40_days_resumes_with_its_history(
    app_template: dict[str, Any], atomic_moto: None
) -> None:
    model = scripted(
        # session 1: a turn big enough to go to S3, then a question for the operator
        reply(text(f"{LEDGER} " + "x" * OFFLOAD_BYTES), tool_use("save_progress", {"note": "asked"}),
              stop_reason="tool_use"),
        reply(tool_use("block_task", {"reason": "which berth?"}), stop_reason="tool_use"),
        # session 2, 40 days later
        reply(tool_use("complete_task", {"summary": "booked"}), stop_reason="tool_use"),
    )  # fmt: skip
    with (
        time_machine.travel(START, tick=True) as clock,
        ModelServer(model) as server,
        deploy(app_template, server.base_url) as deployed,
    ):
        task = deployed.tasks.create(prompt="Book a berth in Lisbon", title="berth", now=utcnow())
        deployed.run_sessions(polls=1)
        assert deployed.tasks.get(task.task_id).status is TaskStatus.BLOCKED
        assert stored(deployed) == (2, 1)

        # Given 40 days pass with the task blocked (the retention is 30)
        clock.move_to(START + 40 * DAY)
        age(deployed, app_template)
        assert stored(deployed) == (2, 1)

        # When the operator answers, the task resumes with its first session's history
        operator.unblock(deployed.tasks, task.task_id, ANSWER, utcnow())
        deployed.run_sessions(polls=1)
        done = deployed.tasks.get(task.task_id)
        assert done.status is TaskStatus.DONE, done.failure_reason
        assert [s.outcome for s in done.session_list()] == [
            SessionOutcome.BLOCKED,
            SessionOutcome.COMPLETED,
        ]
        opening = json.dumps(server.requests[2]["messages"][0])
        assert LEDGER in opening
        assert ANSWER in opening

        # Then, finished, its checkpoints last the retention from then, and no longer
        finished = START + 40 * DAY
        clock.move_to(finished + 29 * DAY)
        age(deployed, app_template)
        assert stored(deployed) == (3, 1)
        clock.move_to(finished + 31 * DAY)
        age(deployed, app_template)
        assert stored(deployed) == (0, 0)
