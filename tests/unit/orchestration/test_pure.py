"""Pure parts of orchestration: the blocked email, outcome parsing, inputs, console links."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from jada.lifecycle import SessionOutcome
from jada.models import Task
from jada.orchestration.poll import PollResult, execution_input
from jada.orchestration.session_end import SessionEndEvent, blocked_message, outcome_and_reason
from jada_tools.cli.tasks import console_link, execution_arn

ROOT = Path(__file__).resolve().parents[3]


def task(**kw: object) -> Task:
    base = {"task_id": "abc123", "title": "crew page", "prompt": "p", "created_at": "t", "updated_at": "t",
            "ready_at": "t"}  # fmt: skip
    return Task.model_validate({**base, **kw})


def test_blocked_message_names_the_exact_unblock_command() -> None:
    subject, body = blocked_message(task(handoff_note="drafts in /site"), "need the login")
    assert subject == "jada: task blocked: crew page"
    assert 'jada tasks unblock abc123 --answer "..."' in body
    assert "Reason: need the login" in body
    assert "drafts in /site" in body


def test_blocked_subject_is_one_short_ascii_line() -> None:
    # SNS rejects subjects with line breaks, non-ASCII characters or 100+ characters
    subject, body = blocked_message(task(title="Crew page \u2014 Z\u00fcrich\nvery " + "long " * 40), "r")
    assert "\n" not in subject
    assert subject.isascii()
    assert len(subject) < 100
    assert subject.startswith("jada: task blocked: Crew page ? Z?rich very long")
    assert "Crew page \u2014 Z\u00fcrich" in body  # the body keeps the title as written


def test_catch_payload_becomes_error_name_and_message() -> None:
    cause = json.dumps({"errorType": "CheckpointCorrupt", "errorMessage": "turn 3 fails its integrity check"})
    event = SessionEndEvent(
        task_id="t", session=1, execution="t-s1", error={"Error": "CheckpointCorrupt", "Cause": cause}
    )
    assert outcome_and_reason(event) == (
        SessionOutcome.FAILED,
        "CheckpointCorrupt: turn 3 fails its integrity check",
    )
    timeout = SessionEndEvent(task_id="t", session=1, execution="t-s1", error={"Error": "States.Timeout"})
    assert outcome_and_reason(timeout) == (SessionOutcome.FAILED, "States.Timeout: no cause given")


def test_reasons_are_clipped() -> None:
    event = SessionEndEvent(task_id="t", session=1, execution="t-s1", status="failed", reason="x" * 5000)
    assert len(outcome_and_reason(event)[1] or "") == 1000


def test_execution_input_is_ids_and_counters() -> None:
    assert execution_input("t", 2, "t-s2") == {"task_id": "t", "session": 2, "execution": "t-s2", "turns": 0}
    assert PollResult(stopped_by="quota").metrics()["QuotaExhausted"] == 1


def test_console_link_points_at_the_execution() -> None:
    machine = "arn:aws:states:us-west-2:111122223333:stateMachine:Session"
    assert execution_arn(machine, "t-s1") == "arn:aws:states:us-west-2:111122223333:execution:Session:t-s1"
    assert console_link(machine, "t-s1").startswith(
        "https://us-west-2.console.aws.amazon.com/states/home?region=us-west-2"
    )


def test_poll_handler_never_imports_the_model_or_google_clients() -> None:
    code = (
        "import importlib.util, sys\n"
        f"path = {str(ROOT / 'functions/poll/handler.py')!r}\n"
        "spec = importlib.util.spec_from_file_location('poll_handler', path)\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "assert callable(module.handler)\n"
        "print([m for m in ('anthropic', 'googleapiclient', 'google.auth') if m in sys.modules])\n"
    )
    env = {"POWERTOOLS_TRACE_DISABLED": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"


IDLE_POLL = """
import contextlib, importlib.util, io, json, os, sys
import boto3
from moto.server import ThreadedMotoServer
from jada.stores import schema
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0); server.start()
os.environ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:%d" % server._server.server_port
boto3.client("dynamodb").create_table(**schema.TASKS.create_kwargs("tasks"))
spec = importlib.util.spec_from_file_location("poll_handler", sys.argv[1])
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "poll", 256, "r1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:poll"
    def get_remaining_time_in_millis(self): return 30000
with contextlib.redirect_stdout(io.StringIO()):
    out = module.handler({"scheduled_time": "2026-05-12T22:00:00Z"}, Context())
server.stop()
print(json.dumps({"runnable": out["runnable"], "pydantic": "pydantic" in sys.modules}))
"""


def test_an_idle_poll_imports_no_pydantic_from_cold_start_to_its_result() -> None:
    # Given a fresh process with the task table (empty) behind a moto server
    env = {
        "POWERTOOLS_TRACE_DISABLED": "1", "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1", "TASKS_TABLE": "tasks",
        "COUNTERS_TABLE": "counters", "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:1:stateMachine:s",
    }  # fmt: skip
    # When the poll handler is imported and runs once with nothing runnable
    handler = str(ROOT / "functions/poll/handler.py")
    out = subprocess.run(
        [sys.executable, "-c", IDLE_POLL, handler], capture_output=True, text=True, check=True, env=env
    )
    # Then it found nothing and never loaded pydantic (its cost is most of a cold start)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"runnable": 0, "pydantic": False}


def test_a_long_handoff_note_is_cut_to_fit_an_sns_message() -> None:
    _, body = blocked_message(task(handoff_note="n" * 300_000), "r")
    assert len(body.encode()) < 256 * 1024
    assert "jada tasks show" in body
