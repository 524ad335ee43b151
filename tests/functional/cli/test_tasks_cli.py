"""`jada tasks ...` and `jada quota` against moto, through the real typer app."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from jada.clock import iso, utc_day, utcnow
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.models import SessionRecord, Task, Usage
from jada_tools.cli import stack as cli_stack
from jada_tools.cli.main import app
from typer.testing import CliRunner

from tests.conftest import Cloud

MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:JadaSession"


@pytest.fixture
def cli(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Any:
    """invoke(*args) -> Result, with the stack's outputs pointing at moto's tables."""
    outputs = {"TasksTableName": cloud.tasks_table, "CountersTableName": cloud.counters_table,
               "CheckpointsTableName": cloud.checkpoints_table,
               "CheckpointBucketName": cloud.checkpoint_bucket,
               "StateMachineArn": MACHINE, "PollFunctionName": "jada-poll"}  # fmt: skip
    monkeypatch.setenv("JADA_OUTPUTS_JSON", json.dumps(outputs))
    cli_stack.outputs.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    cli_stack.outputs.cache_clear()


def blocked_task(cloud: Cloud, reason: str = "which provider?") -> Task:
    store, now = cloud.tasks(), utcnow()
    task = store.create(prompt="set up e-signature", title="e-signature", now=now)
    store.claim(
        task, session=SessionRecord(number=1, execution=task.execution_name(1), started_at=iso(now)), now=now
    )
    return store.transition(task.task_id, TaskStatus.BLOCKED, now=now, set_fields={"blocked_reason": reason})


def test_add_then_list_and_show(cli: Any, cloud: Cloud) -> None:
    added = cli("tasks", "add", "Publish the crew page", "--title", "crew page", "--priority", "7", "--json")
    assert added.exit_code == 0, added.output
    task_id = json.loads(added.output)["task_id"]
    assert cloud.tasks().get(task_id).priority == 7

    listed = cli("tasks", "list", "--json")
    assert [(t["id"], t["status"], t["title"]) for t in json.loads(listed.output)] == [
        (task_id, "pending", "crew page")
    ]
    text = cli("tasks", "list")
    assert task_id in text.output
    assert "crew page" in text.output

    shown = cli("tasks", "show", task_id)
    assert shown.exit_code == 0
    assert "status:   pending" in shown.output
    assert "handoff note: (none)" in shown.output


def test_show_gives_sessions_usage_and_console_links(cli: Any, cloud: Cloud) -> None:
    store, now = cloud.tasks(), utcnow()
    task = store.create(prompt="p", title="t", now=now)
    record = SessionRecord(number=1, execution=task.execution_name(1), started_at=iso(now))
    store.claim(task, session=record, now=now)
    ended = record.model_copy(
        update={"ended_at": iso(now), "turns": 30, "outcome": SessionOutcome.TURN_LIMIT}
    )
    store.transition(task.task_id, TaskStatus.SUSPENDED, now=now, session=ended)
    store.set_handoff_note(task.task_id, "pages drafted", now=now)
    store.add_usage(task.task_id, Usage(input_tokens=1200, output_tokens=300, cost_usd=0.0081), now=now)

    shown = cli("tasks", "show", task.task_id)
    assert shown.exit_code == 0, shown.output
    assert f"#1 {task.task_id}-s1: turn_limit, 30 turns" in shown.output
    assert "1200 input, 300 output" in shown.output
    assert "$0.0081" in shown.output
    assert "handoff note: pages drafted" in shown.output
    link = (
        "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/"
        f"arn:aws:states:eu-west-1:123456789012:execution:JadaSession:{task.task_id}-s1"
    )
    assert link in shown.output
    as_json = json.loads(cli("tasks", "show", task.task_id, "--json").output)
    assert as_json["console_links"] == {f"{task.task_id}-s1": link}
    assert as_json["sessions"]["1"]["turns"] == 30


def test_list_blocked_shows_the_reasons(cli: Any, cloud: Cloud) -> None:
    task = blocked_task(cloud, reason="need the DocuSign login")
    cloud.tasks().create(prompt="other", now=utcnow())
    result = cli("tasks", "list", "--status", "blocked")
    assert result.exit_code == 0
    assert "need the DocuSign login" in result.output
    assert "other" not in result.output
    listed = json.loads(cli("tasks", "list", "--status", "blocked", "--json").output)
    assert [(t["id"], t["reason"]) for t in listed] == [(task.task_id, "need the DocuSign login")]


def test_unblock_with_an_answer(cli: Any, cloud: Cloud) -> None:
    task = blocked_task(cloud)
    result = cli("tasks", "unblock", task.task_id, "--answer", "use DocuSign")
    assert result.exit_code == 0, result.output
    stored = cloud.tasks().get(task.task_id)
    assert stored.status is TaskStatus.PENDING
    assert stored.pending_answer == "use DocuSign"


def test_unblock_with_an_answer_file(cli: Any, cloud: Cloud, tmp_path: Path) -> None:
    task = blocked_task(cloud)
    answer = tmp_path / "answer.txt"
    answer.write_text("Use the sandbox account.\nLogin is in the vault.\n")
    assert cli("tasks", "unblock", task.task_id, "--answer-file", str(answer)).exit_code == 0
    assert (
        cloud.tasks().get(task.task_id).pending_answer == "Use the sandbox account.\nLogin is in the vault."
    )


def test_retry_and_cancel(cli: Any, cloud: Cloud) -> None:
    store, now = cloud.tasks(), utcnow()
    task = blocked_task(cloud)
    assert cli("tasks", "cancel", task.task_id).exit_code == 0
    assert store.get(task.task_id).status is TaskStatus.CANCELLED
    failing = store.create(prompt="p", now=now)
    store.claim(failing, session=SessionRecord(number=1, execution="x", started_at=iso(now)), now=now)
    store.transition(failing.task_id, TaskStatus.FAILED, now=now, set_fields={"failure_reason": "boom"})
    assert cli("tasks", "retry", failing.task_id).exit_code == 0
    assert store.get(failing.task_id).status is TaskStatus.PENDING


def test_cancel_and_retry_settle_the_task_history(cli: Any, cloud: Cloud) -> None:
    from tests.functional.stores.test_checkpoints import turn

    table = boto3.resource("dynamodb").Table(cloud.checkpoints_table)
    store, now = cloud.tasks(), utcnow()
    blocked, failing = blocked_task(cloud), store.create(prompt="p", now=now)
    store.claim(failing, session=SessionRecord(number=1, execution="x", started_at=iso(now)), now=now)
    store.transition(failing.task_id, TaskStatus.FAILED, now=now)
    for task in (blocked, failing):
        cloud.checkpoints().append(turn(1, 1, task_id=task.task_id), now)
        cloud.checkpoints().release(task.task_id, now)  # as if it had expired at a failure
    assert cli("tasks", "cancel", blocked.task_id).exit_code == 0
    assert cli("tasks", "retry", failing.task_id).exit_code == 0
    expiry = {i["task_id"]: i.get("expires_at") for i in table.scan()["Items"]}
    assert expiry[blocked.task_id] is not None  # cancelled: expires after the retention
    assert expiry[failing.task_id] is None  # retried: kept again


def snapshot(cloud: Cloud) -> list[dict[str, Any]]:
    return sorted(boto3.client("dynamodb").scan(TableName=cloud.tasks_table)["Items"], key=str)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tasks", "add", "   "), "the prompt is empty"),
        (("tasks", "add", "x" * 100_001), "the limit is 100000"),
        (("tasks", "add", "ok", "--priority", "1000"), "priority must be between"),
        (("tasks", "list", "--status", "sleeping"), "unknown status 'sleeping'"),
        (("tasks", "show", "nope"), "no task with id 'nope'"),
        (("tasks", "retry", "{pending}"), "cannot go to pending"),
        (("tasks", "cancel", "{done}"), "cannot go to cancelled"),
        (("tasks", "unblock", "{pending}", "--answer", "hi"), "not blocked"),
        (("tasks", "unblock", "{blocked}", "--answer", "  "), "the answer is empty"),
        (("tasks", "unblock", "{blocked}"), "exactly one of --answer"),
        (("tasks", "unblock", "{blocked}", "--answer-file", "/nonexistent/answer.txt"), "cannot read"),
    ],
)
def test_bad_input_exits_2_and_changes_nothing(
    cli: Any, cloud: Cloud, args: tuple[str, ...], message: str
) -> None:
    store, now = cloud.tasks(), utcnow()
    ids = {"pending": store.create(prompt="waiting", now=now).task_id, "blocked": blocked_task(cloud).task_id}
    done = store.create(prompt="finished", now=now)
    store.claim(done, session=SessionRecord(number=1, execution="d", started_at=iso(now)), now=now)
    ids["done"] = store.transition(done.task_id, TaskStatus.DONE, now=now).task_id
    before = snapshot(cloud)
    result = cli(*(a.format(**ids) for a in args))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert snapshot(cloud) == before


def test_quota_shows_use_and_rollover(cli: Any, cloud: Cloud) -> None:
    now = utcnow()
    counters = cloud.counters()
    counters.take_session(now, 5)
    counters.take_session(now, 5)
    counters.take_slot("t1-s1", now, 2, timedelta(hours=3))
    data = json.loads(cli("quota", "--json").output)
    assert data["day"] == utc_day(now).isoformat()
    assert (data["used"], data["limit"], data["left"]) == (2, 5, 3)
    assert data["running"] == ["t1-s1"]
    assert data["next_rollover"].endswith("T00:00:00Z")
    text = cli("quota")
    assert "2 of 5 sessions used, 3 left" in text.output


def test_quota_reads_the_deployed_limit_from_the_poll_function(cli: Any, cloud: Cloud) -> None:
    # the poll function only needs to exist in moto, with its environment
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda").create_function(
        FunctionName="jada-poll", Runtime="python3.13", Role=role, Handler="handler.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        Environment={"Variables": {"SESSIONS_PER_DAY": "9", "MAX_CONCURRENT_SESSIONS": "3"}},
    )  # fmt: skip
    data = json.loads(cli("quota", "--json").output)
    assert (data["limit"], data["max_concurrent_sessions"]) == (9, 3)


def test_unknown_stack_is_a_clear_error(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JADA_OUTPUTS_JSON", raising=False)
    cli_stack.outputs.cache_clear()
    result = CliRunner().invoke(app, ["tasks", "list", "--stack", "Nope"])
    cli_stack.outputs.cache_clear()
    assert result.exit_code == 2  # missing configuration: exit 2 with the fix
    assert "error: cannot read stack Nope" in result.output
    assert "pass --stack NAME and --region REGION" in result.output


def test_the_cli_does_not_import_the_model_or_google_clients() -> None:
    code = (
        "import sys; from jada_tools.cli.main import app; "
        "bad = [m for m in ('anthropic', 'googleapiclient') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_quota_shows_a_spend_pause_and_resume_lifts_it(cli: Any, cloud: Cloud) -> None:
    now = utcnow()
    cloud.counters().pause_sessions("SpendLimitReached: usage is paused", now + timedelta(days=3), now)
    data = json.loads(cli("quota", "--json").output)
    assert data["paused"].startswith("SpendLimitReached: usage is paused")
    assert "new sessions are PAUSED" in cli("quota").output
    assert "sessions resumed" in cli("quota", "--resume").output
    assert json.loads(cli("quota", "--json").output)["paused"] is None
