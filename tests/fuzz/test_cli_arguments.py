"""Generated arguments for the operator commands against moto: `jada tasks add/list/show/retry/cancel/
unblock`, `jada quota`, `jada sync status`. Exit codes are 0 or 2 (moto never fails, so an exit 1 is
bad input taken for a failure), a failure says `error: ...` (or click's usage error) and never shows a
traceback, and a failed command changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from jada.clock import iso, utcnow
from jada.lifecycle import TaskStatus
from jada.models import SessionRecord
from jada.stores import schema
from jada_tools.cli import stack as cli_stack
from jada_tools.cli.main import app
from typer.testing import CliRunner, Result

from tests.conftest import Cloud
from tests.fuzz.profiles import fuzz
from tests.fuzz.strategies import NASTY
from tests.fuzz.tables import Snapshot, restore, snapshot

SHEET_TABLE = "jada-sheet"
SECRET = "jada-google-token"
#: what a shell can pass: any text but NUL
ARG_TEXT = st.characters(codec="utf-8", exclude_characters="\x00")


def arg(max_size: int = 60) -> st.SearchStrategy[str]:
    nasty = [s for s in NASTY if "\x00" not in s]
    return st.one_of(
        st.text(ARG_TEXT, max_size=max_size),
        st.sampled_from([*nasty, "--json", "--help", "-", "--", "--stack", "--limit"]),
        st.integers(-(10**6), 10**6).map(str),
        st.builds(lambda c, n: c * n, st.sampled_from(["x", "漢", " "]), st.integers(150, 30_000)),
    )


@pytest.fixture
def world(cloud: Cloud, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """moto tables and a token secret, the stack outputs pointing at them, a task in every status."""
    boto3.client("dynamodb").create_table(**schema.SHEET.create_kwargs(SHEET_TABLE))
    secret_arn = boto3.client("secretsmanager").create_secret(Name=SECRET, SecretString="{}")["ARN"]
    outputs = {
        "TasksTableName": cloud.tasks_table,
        "CountersTableName": cloud.counters_table,
        "CheckpointsTableName": cloud.checkpoints_table,
        "CheckpointBucketName": cloud.checkpoint_bucket,
        "SheetTableName": SHEET_TABLE,
        "GoogleTokenSecretArn": secret_arn,
        "StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:JadaSession",
    }
    monkeypatch.setenv("JADA_OUTPUTS_JSON", json.dumps(outputs))
    cli_stack.outputs.cache_clear()
    store, now = cloud.tasks(), utcnow()
    ids: dict[str, str] = {}
    for status in TaskStatus:
        task = store.create(prompt=f"a {status.value} task", title=f"[/] {status.value} [bold]", now=now)
        if status not in {TaskStatus.PENDING, TaskStatus.CANCELLED}:
            record = SessionRecord(number=1, execution=task.execution_name(1), started_at=iso(now))
            task = store.claim(task, session=record, now=now)
        if status not in {TaskStatus.PENDING, TaskStatus.RUNNING}:
            store.transition(task.task_id, status, now=now)
        ids[status.value] = task.task_id
    yield {"cloud": cloud, "ids": ids, "tmp": tmp_path}
    cli_stack.outputs.cache_clear()


def tables(cloud: Cloud) -> list[str]:
    return [cloud.tasks_table, cloud.counters_table, SHEET_TABLE]


def run(cloud: Cloud, args: list[str]) -> None:
    """Invoke the CLI, check the result, then put the tables back (every example starts alike)."""
    before = snapshot(tables(cloud))
    result = CliRunner().invoke(app, args)
    after = snapshot(tables(cloud))
    try:
        check(result, before, after)
    finally:
        restore(before, after)


def check(result: Result, before: Snapshot, after: Snapshot) -> None:
    shown = f"exit {result.exit_code}\nstdout: {result.stdout[:800]}\nstderr: {result.stderr[:800]}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"unhandled {type(result.exception).__name__}: {result.exception}\n{shown}")
    assert "Traceback" not in result.output, shown
    assert result.exit_code in {0, 2}, shown
    event(f"exit {result.exit_code}")
    if result.exit_code == 0:
        return
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, shown
    if lines[0].startswith(("Usage:", "╭─ Error")):  # typer's usage errors: the error in a box
        assert any("─ Error ─" in line for line in lines), shown
        event("typer usage error")
    else:
        assert all(line.startswith("error: ") for line in lines[:1]), shown
    assert after == before, f"a failed command changed the tables\n{shown}"


@st.composite
def invocations(draw: st.DrawFn, ids: dict[str, str], tmp: Path) -> list[str]:
    known = st.sampled_from(sorted(ids.values()))
    task_id = draw(st.one_of(known, arg(), st.text("0123456789abcdef", min_size=12, max_size=12)))
    opt = lambda name, value: draw(st.sampled_from([[], [name, value]]))  # noqa: E731
    flag = lambda name: draw(st.sampled_from([[], [name]]))  # noqa: E731
    command = draw(st.sampled_from(["add", "list", "show", "retry", "cancel", "unblock", "quota", "sync"]))
    if command == "add":
        return [
            "tasks",
            "add",
            draw(arg()),
            *opt("--title", draw(arg())),
            *opt("--priority", draw(arg())),
            *flag("--json"),
        ]
    if command == "list":
        status = draw(st.one_of(st.sampled_from([s.value.upper() for s in TaskStatus]), arg()))
        return ["tasks", "list", *opt("--status", status), *opt("--limit", draw(arg())), *flag("--json")]
    if command in {"show", "retry", "cancel"}:
        return ["tasks", command, task_id, *(flag("--json") if command == "show" else [])]
    if command == "unblock":
        if draw(st.booleans()):
            task_id = ids["blocked"]
        answer_file = tmp / f"answer-{draw(st.integers(0, 10**9))}.txt"
        body = draw(
            st.one_of(
                st.binary(max_size=100),
                st.text(ARG_TEXT, max_size=100).map(str.encode),
                st.just(b"x" * 25_000),
                st.just("\u00e9".encode("latin-1")),
            )
        )
        if draw(st.booleans()):
            answer_file.write_bytes(body)
        answers = draw(
            st.sampled_from(
                [
                    ["--answer", draw(arg())],
                    ["--answer-file", str(answer_file)],
                    [],
                    ["--answer", "x", "--answer-file", str(answer_file)],
                ]
            )
        )
        return ["tasks", "unblock", task_id, *answers]
    if command == "quota":
        return ["quota", *flag("--json"), *flag("--resume"), *draw(st.lists(arg(), max_size=1))]
    return ["sync", "status", *opt("--runs", draw(arg())), *flag("--json")]


@fuzz(30)
@given(data=st.data())
@example(data=None)
def test_generated_arguments_fail_cleanly_and_change_nothing(world: dict[str, Any], data: Any) -> None:
    args = (
        ["tasks", "list"]
        if data is None
        else data.draw(invocations(world["ids"], world["tmp"]), label="args")
    )
    run(world["cloud"], args)


@fuzz(15)
@given(st.lists(arg(30), min_size=1, max_size=4), st.sampled_from([["tasks"], ["sync"], ["quota"], []]))
def test_any_argument_list_fails_cleanly_and_changes_nothing(
    world: dict[str, Any], args: list[str], prefix: list[str]
) -> None:
    cloud: Cloud = world["cloud"]
    if not prefix and args[0] in {"demo", "local", "auth"}:
        return  # they run the local cloud or a browser sign-in: other tests cover their arguments
    run(cloud, [*prefix, *args])


# --- what the fuzzing found, kept as plain tests ------------------------------------------------
def test_an_answer_file_that_is_not_utf8_is_a_clear_error(world: dict[str, Any]) -> None:
    answer = world["tmp"] / "answer.txt"
    answer.write_bytes("réponse".encode("latin-1"))
    result = CliRunner().invoke(
        app, ["tasks", "unblock", world["ids"]["blocked"], "--answer-file", str(answer)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot read the answer {answer}: it is not UTF-8 text")


def test_titles_with_markup_are_listed_as_typed(world: dict[str, Any]) -> None:
    result = CliRunner().invoke(app, ["tasks", "list"])
    assert result.exit_code == 0, result.output
    assert "[/] pending [bold]" in result.stdout


def test_an_id_no_task_can_have_is_not_found(world: dict[str, Any]) -> None:
    for command in ("show", "retry", "cancel"):
        for task_id in ("", "x" * 3000):
            result = CliRunner().invoke(app, ["tasks", command, task_id])
            assert result.exit_code == 2, (command, result.output)
            assert result.stderr.startswith("error: no task with id"), (command, result.stderr)


def test_sync_status_refuses_a_run_count_out_of_range(world: dict[str, Any]) -> None:
    for runs in ("0", "-1", "1000000"):
        result = CliRunner().invoke(app, ["sync", "status", "--runs", runs])
        assert result.exit_code == 2, (runs, result.output)
        assert "--runs" in result.stderr, result.stderr
        assert "ValidationException" not in result.output


def test_sync_status_errors_start_with_error(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JADA_OUTPUTS_JSON", json.dumps({"SheetTableName": "no-such-table"}))
    cli_stack.outputs.cache_clear()
    result = CliRunner().invoke(app, ["sync", "status"])
    # an AWS error (the table named by the outputs is gone) exits 1, one `error:` line
    assert result.exit_code == 1
    assert result.stderr.startswith("error: AWS said ResourceNotFoundException"), result.stderr
    assert len(result.stderr.splitlines()) == 1
