"""`jada tasks transcript / list / add --prompt-file / edit / stop / show` against moto, through
the real typer app."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from jada.agent import prompts
from jada.clock import iso, utcnow
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.models import Answer, SessionRecord, Task, TurnRecord, Usage
from jada_tools.cli import stack as cli_stack
from jada_tools.cli.main import app
from typer.testing import CliRunner

from tests.conftest import NOW, Cloud

LONG = "word " * 200  # 1,000 characters


@pytest.fixture
def machine(cloud: Cloud) -> str:
    arn: str = boto3.client("stepfunctions").create_state_machine(
        name="JadaSession", roleArn="arn:aws:iam::123456789012:role/sfn",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
    )["stateMachineArn"]  # fmt: skip
    return arn


@pytest.fixture
def cli(cloud: Cloud, machine: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    outputs = {"TasksTableName": cloud.tasks_table, "CountersTableName": cloud.counters_table,
               "CheckpointsTableName": cloud.checkpoints_table,
               "CheckpointBucketName": cloud.checkpoint_bucket, "StateMachineArn": machine}  # fmt: skip
    monkeypatch.setenv("JADA_OUTPUTS_JSON", json.dumps(outputs))
    cli_stack.outputs.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    cli_stack.outputs.cache_clear()


def turn(
    task: Task, session: int, number: int, messages: list[dict[str, Any]], stop: str, **usage: Any
) -> None:
    record = TurnRecord(task_id=task.task_id, session=session, turn=number, messages=messages,
                        stop_reason=stop, usage=Usage(**usage), created_at=iso(NOW))  # fmt: skip
    Cloud().checkpoints().append(record, NOW)


def user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def assistant(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "content": list(blocks)}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def call(name: str, tool_id: str, **tool_input: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}


def result(tool_id: str, content: Any, is_error: bool = False) -> dict[str, Any]:
    block = {"type": "tool_result", "tool_use_id": tool_id, "content": content}
    return {**block, "is_error": True} if is_error else block


def two_session_task(cloud: Cloud) -> Task:
    """A task with a turn-limit session (notes, tools, an error, a server tool) and a resumed one."""
    store = cloud.tasks()
    task = store.create(prompt="Publish the crew page", title="crew page", now=NOW)
    for n, outcome in ((1, SessionOutcome.TURN_LIMIT), (2, SessionOutcome.COMPLETED)):
        record = SessionRecord(number=n, execution=task.execution_name(n), started_at=iso(NOW))
        store.claim(store.get(task.task_id), session=record, now=NOW)
        closed = record.model_copy(update={"ended_at": iso(NOW), "turns": 2, "outcome": outcome})
        store.transition(
            task.task_id, TaskStatus.SUSPENDED if n == 1 else TaskStatus.DONE, now=NOW, session=closed
        )
    opening = prompts.opening(task)
    turn(task, 1, 1, [user(text(opening)),
                      assistant(text("Looking at the site. " + LONG), call("create_task", "t1", title="")),
                      user(result("t1", "Invalid input for create_task: title: too short", is_error=True))],
         "tool_use", input_tokens=1200, output_tokens=300, cost_usd=0.0123)  # fmt: skip
    search = {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {"query": "crew"}}
    found = {"type": "web_search_tool_result", "tool_use_id": "s1", "content": [{"url": "https://x"}]}
    turn(task, 1, 2, [assistant(search, found, call("save_progress", "t2", note="drafted")),
                      user(result("t2", [text("Progress saved.")]), text(prompts.handoff_request(3)))],
         "tool_use", input_tokens=900)  # fmt: skip
    answer = "Use the blue theme"
    resumed = prompts.resumed_opening(
        task.model_copy(update={"blocked_reason": "which theme?"}), "history", answer
    )
    turn(
        task,
        2,
        1,
        [user(text(resumed)), assistant(call("complete_task", "t3", summary="published"))],
        "tool_use",
    )
    last = assistant(text("All done: the crew page is live."))
    turn(task, 2, 2, [user(result("t3", "Task marked complete.")), last], "end_turn")
    return task


# --- transcript ---------------------------------------------------------------------------------
def test_transcript_shows_every_kind_of_entry_by_session_and_turn(cli: Any, cloud: Cloud) -> None:
    task = two_session_task(cloud)
    shown = cli("tasks", "transcript", task.task_id)
    out = shown.output
    assert shown.exit_code == 0, out
    assert f"session 1  {task.task_id}-s1  turn_limit, 2 stored turns" in out
    assert f"session 2  {task.task_id}-s2  completed" in out
    assert "turn 1" in out
    assert "stop: tool_use  1200 in / 300 out" in out
    assert "$0.0123" in out
    assert "jada (task): Task: crew page" in out
    assert "assistant: Looking at the site." in out
    assert '-> create_task {"title": ""}' in out
    assert "<- create_task ERROR: Invalid input for create_task" in out
    assert '-> web_search (server_tool_use) {"query": "crew"}' in out
    assert '[web_search_tool_result] {"tool_use_id": "s1"' in out
    assert "<- save_progress: Progress saved." in out
    assert "jada (handoff request): [jada: save your progress]" in out
    assert "jada (resumed session): [jada: resumed session]" in out
    assert "operator answer: Use the blue theme" in out
    assert "assistant: All done: the crew page is live." in out
    # long values are cut unless --full
    assert "--full shows all" in out
    assert LONG.strip() not in out
    full = cli("tasks", "transcript", task.task_id, "--full").output
    assert "--full shows all" not in full
    assert " ".join(LONG.split()) in " ".join(full.split())


def test_transcript_of_one_session_and_as_json(cli: Any, cloud: Cloud) -> None:
    task = two_session_task(cloud)
    only = cli("tasks", "transcript", task.task_id, "--session", "2").output
    assert "session 2" in only
    assert "session 1" not in only
    data = json.loads(cli("tasks", "transcript", task.task_id, "--json").output)
    assert [s["number"] for s in data["sessions"]] == [1, 2]
    first = data["sessions"][0]["turns"][0]
    assert first["usage"]["cost_usd"] == 0.0123
    kinds = [(e["kind"], e.get("name") or e.get("note")) for e in first["entries"]]
    assert kinds == [
        ("note", "opening"),
        ("text", None),
        ("tool_call", "create_task"),
        ("tool_result", "create_task"),
    ]
    assert first["entries"][3]["is_error"] is True
    assert LONG in first["entries"][1]["text"]  # JSON values are whole
    resumed = data["sessions"][1]["turns"][0]["entries"][0]
    assert (resumed["note"], resumed["answer"]) == ("resumed", "Use the blue theme")


def test_transcript_of_a_task_without_stored_turns_says_so(cli: Any, cloud: Cloud) -> None:
    task = cloud.tasks().create(prompt="later", now=NOW)
    shown = cli("tasks", "transcript", task.task_id)
    assert shown.exit_code == 0
    assert f"task {task.task_id} has no stored turns (it has not run yet)" in shown.output


def test_transcript_of_an_unknown_session_or_task_is_bad_input(cli: Any, cloud: Cloud) -> None:
    task = two_session_task(cloud)
    missing = cli("tasks", "transcript", task.task_id, "--session", "7")
    assert missing.exit_code == 2
    assert "error: task" in missing.output
    assert "has no session 7 (its sessions: 1, 2)" in missing.output
    assert cli("tasks", "transcript", "nope").exit_code == 2


def test_show_gives_the_agents_final_text_beside_the_summary(cli: Any, cloud: Cloud) -> None:
    task = two_session_task(cloud)
    cloud.tasks().update_fields(task.task_id, now=NOW, summary="published")
    out = cli("tasks", "show", task.task_id).output
    assert "summary:  published" in out
    assert "final text (the agent's last words):\n    All done: the crew page is live." in out
    assert f"conversation: jada tasks transcript {task.task_id}" in out
    assert json.loads(cli("tasks", "show", task.task_id, "--json").output)["final_text"] == (
        "All done: the crew page is live."
    )


# --- list ---------------------------------------------------------------------------------------
def test_list_is_newest_first_and_pages_past_a_hundred(cli: Any, cloud: Cloud) -> None:
    store = cloud.tasks()
    ids = [store.create(prompt=f"task {i}", now=NOW + timedelta(seconds=i)).task_id for i in range(105)]
    first = cli("tasks", "list")
    assert first.exit_code == 0, first.output
    lines = [line for line in first.output.splitlines() if line.strip()]
    listed = [line.split()[0] for line in lines[1:-1]]
    assert listed == list(reversed(ids))[:20]
    assert lines[-1] == f"more: jada tasks list --before {ids[-20]}"
    seen = []
    before = None
    while True:
        args = ["tasks", "list", "--json", "--limit", "50"] + (["--before", before] if before else [])
        page = cli(*args)
        seen += [t["id"] for t in json.loads(page.stdout)]
        if "more:" not in page.stderr:
            break
        before = page.stderr.split("--before ")[1].split()[0]
    assert seen == list(reversed(ids))


def test_list_help_names_the_statuses(cli: Any) -> None:
    out = cli("tasks", "list", "--help").output
    for status in ("pending", "running", "suspended", "blocked", "done", "failed", "cancelled"):
        assert status in out


# --- add / edit -----------------------------------------------------------------------------------
def test_add_takes_the_prompt_from_a_file(cli: Any, cloud: Cloud, tmp_path: Path) -> None:
    path = tmp_path / "prompt.md"
    path.write_text("Update the crew page\n\nwith the new photos.\n")
    added = cli("tasks", "add", "--prompt-file", str(path), "--json")
    assert added.exit_code == 0, added.output
    task = cloud.tasks().get(json.loads(added.output)["task_id"])
    assert (task.title, task.prompt) == (
        "Update the crew page",
        "Update the crew page\n\nwith the new photos.",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tasks", "add"), "exactly one of PROMPT or --prompt-file"),
        (("tasks", "add", "text", "--prompt-file", "{file}"), "exactly one of PROMPT or --prompt-file"),
        (("tasks", "add", "--prompt-file", "/nonexistent/p.md"), "cannot read the prompt /nonexistent/p.md"),
        (("tasks", "add", "--prompt-file", "{binary}"), "is not UTF-8 text"),
    ],
)
def test_add_with_a_bad_prompt_source_exits_2(
    cli: Any, cloud: Cloud, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "p.md").write_text("x")
    (tmp_path / "b.bin").write_bytes(b"\xff\xfe\x00")
    result = cli(*(a.format(file=tmp_path / "p.md", binary=tmp_path / "b.bin") for a in args))
    assert result.exit_code == 2
    assert f"error: {message}" in result.output or message in result.output
    assert cloud.tasks().list_all() == []


def test_edit_changes_title_prompt_and_priority(cli: Any, cloud: Cloud, tmp_path: Path) -> None:
    task = cloud.tasks().create(prompt="old", title="old", now=NOW)
    path = tmp_path / "new.txt"
    path.write_text("the new prompt")
    edited = cli(
        "tasks", "edit", task.task_id, "--title", "new", "--prompt-file", str(path), "--priority", "8"
    )
    assert edited.exit_code == 0, edited.output
    assert f"{task.task_id} updated: new (priority 8, pending)" in edited.output
    stored = cloud.tasks().get(task.task_id)
    assert (stored.title, stored.prompt, stored.priority) == ("new", "the new prompt", 8)


def test_edit_of_a_running_task_is_refused_with_the_way_out(cli: Any, cloud: Cloud) -> None:
    store = cloud.tasks()
    task = store.create(prompt="p", now=NOW)
    store.claim(
        task, session=SessionRecord(number=1, execution=task.execution_name(1), started_at=iso(NOW)), now=NOW
    )
    refused = cli("tasks", "edit", task.task_id, "--priority", "3")
    assert refused.exit_code == 2
    assert "error: task" in refused.output
    assert "is running; only pending, suspended, blocked, failed tasks can be edited" in refused.output
    assert cli("tasks", "edit", task.task_id).exit_code == 2  # nothing to change
    assert cli("tasks", "edit", task.task_id, "--prompt", "a", "--prompt-file", "f").exit_code == 2


# --- stop ---------------------------------------------------------------------------------------
def running(cloud: Cloud, machine: str) -> Task:
    store, now = cloud.tasks(), utcnow()
    task = store.create(prompt="a long job", title="long", now=now)
    record = SessionRecord(number=1, execution=task.execution_name(1), started_at=iso(now))
    task = store.claim(task, session=record, now=now)
    cloud.counters().take_slot(record.execution, now, 2, timedelta(hours=3))
    boto3.client("stepfunctions").start_execution(stateMachineArn=machine, name=record.execution, input="{}")
    return task


def test_stop_suspends_and_says_how_to_drop_it(cli: Any, cloud: Cloud, machine: str) -> None:
    task = running(cloud, machine)
    shown = cli("tasks", "show", task.task_id).output
    assert f"stop it:   jada tasks stop {task.task_id} [--cancel]" in shown
    stopped = cli("tasks", "stop", task.task_id)
    assert stopped.exit_code == 0, stopped.output
    assert stopped.output.strip() == (
        f"stopped {task.task_id}-s1; {task.task_id} is suspended and resumes at the next poll "
        f"(to drop it: jada tasks cancel {task.task_id})"
    )
    assert '"level"' not in stopped.output  # the runtime's log lines stay out of the output
    assert cloud.tasks().get(task.task_id).sessions["1"].outcome is SessionOutcome.STOPPED
    again = cli("tasks", "stop", task.task_id)
    assert again.exit_code == 2
    assert "is suspended, not running; there is no session to stop" in again.output


def test_stop_with_cancel_as_json(cli: Any, cloud: Cloud, machine: str) -> None:
    task = running(cloud, machine)
    stopped = cli("tasks", "stop", task.task_id, "--cancel", "--json")
    assert stopped.exit_code == 0, stopped.output
    assert json.loads(stopped.stdout) == {
        "task_id": task.task_id, "execution": f"{task.task_id}-s1", "outcome": "stopped",
        "status": "cancelled",
    }  # fmt: skip


def test_show_lists_answers_and_a_stopping_session(cli: Any, cloud: Cloud, machine: str) -> None:
    task = running(cloud, machine)
    cloud.tasks().request_stop(task.task_id, 1, now=NOW)
    cloud.tasks().update_fields(
        task.task_id, now=NOW, answers=[Answer(at=iso(NOW), answer="ok").model_dump()]
    )
    out = cli("tasks", "show", task.task_id).output
    assert f"#1 {task.task_id}-s1: stopping" in out
    assert "answer (2026-05-12T22:00:00Z): ok" in out


def test_cancel_of_a_running_task_points_at_stop(cli: Any, cloud: Cloud, machine: str) -> None:
    task = running(cloud, machine)
    refused = cli("tasks", "cancel", task.task_id)
    assert refused.exit_code == 2
    assert f"is running; stop its session first (jada tasks stop {task.task_id} --cancel)" in refused.output
    assert cloud.tasks().get(task.task_id).status is TaskStatus.RUNNING
