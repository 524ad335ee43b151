"""The synthesized state machine, run by moto's Step Functions engine, calling the real poll,
turn-batch and session-end handlers in-process, against a loopback fake of the Messages API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from jada.clock import utcnow
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.orchestration import operator
from jada_tools.fakes.model_server import (
    ModelServer,
    Responder,
    bad_request,
    overloaded,
    reply,
    scripted,
    text,
    tool_use,
    unauthorized,
)

from tests.functional.orchestration.deployed import Deployed, deploy

pytestmark = pytest.mark.slow


@pytest.fixture
def run(app_template: dict[str, Any], atomic_moto: None) -> Iterator[Any]:
    """run(responder) -> (deployment, model server), torn down after the test. Polls on this
    thread race executions on moto's: `atomic_moto` makes each request atomic, as AWS does."""
    stack: list[Any] = []

    def start(responder: Responder, **settings_env: str) -> tuple[Deployed, ModelServer]:
        server = ModelServer(responder).start()
        stack.append(server)
        manager = deploy(app_template, server.base_url, settings_env)
        deployed = manager.__enter__()
        stack.append(manager)
        return deployed, server

    yield start
    for item in reversed(stack):
        item.__exit__(None, None, None) if hasattr(item, "__exit__") else item.stop()


def complete(summary: str = "crew page published") -> Any:
    return reply(tool_use("complete_task", {"summary": summary}), stop_reason="tool_use")


def test_a_task_runs_to_done(run: Any) -> None:
    deployed, server = run(scripted(reply(text("looking"), tool_use("save_progress", {"note": "half"}),
                                          stop_reason="tool_use"), complete()))  # fmt: skip
    task = deployed.tasks.create(prompt="Publish the crew page", title="crew page", now=utcnow())
    [execution] = deployed.run_sessions(polls=1)
    assert execution["name"] == f"{task.task_id}-s1"
    assert execution["status"] == "SUCCEEDED"
    done = deployed.tasks.get(task.task_id)
    assert done.status is TaskStatus.DONE
    [session] = done.session_list()
    assert session.outcome is SessionOutcome.COMPLETED
    assert session.turns == 2
    assert len(server.requests) == 2
    assert deployed.invocations("session_end") == 1


def test_a_never_ending_task_fails_after_three_sessions_of_thirty_turns(run: Any) -> None:
    deployed, server = run(
        scripted(reply(tool_use("save_progress", {"note": "still going"}), stop_reason="tool_use"))
    )
    task = deployed.tasks.create(prompt="Never finish", now=utcnow())
    executions = deployed.run_sessions(polls=4)  # the fourth poll finds nothing to run
    assert sorted(e["name"] for e in executions) == [f"{task.task_id}-s{n}" for n in (1, 2, 3)]
    failed = deployed.tasks.get(task.task_id)
    assert failed.status is TaskStatus.FAILED
    assert failed.failure_reason == "turn budget exhausted"
    assert [(s.turns, s.outcome) for s in failed.session_list()] == [(30, SessionOutcome.TURN_LIMIT)] * 3
    assert len(server.requests) == 90


def test_an_overload_burst_is_retried_and_the_task_finishes(run: Any) -> None:
    deployed, server = run(scripted(overloaded(), overloaded(), overloaded(), complete()))
    task = deployed.tasks.create(prompt="Finish despite 529s", now=utcnow())
    [execution] = deployed.run_sessions(polls=1)
    assert execution["status"] == "SUCCEEDED"
    assert deployed.tasks.get(task.task_id).status is TaskStatus.DONE
    # the batch Lambda gave up at least once and the state machine retried it after a backoff
    assert deployed.invocations("turn_batch") >= 2
    assert deployed.retry_sleeps
    assert len(server.requests) == 4


def test_an_authentication_failure_fails_the_session_without_retry(run: Any) -> None:
    deployed, server = run(scripted(unauthorized()))
    task = deployed.tasks.create(prompt="Key is wrong", now=utcnow())
    [execution] = deployed.run_sessions(polls=1)
    assert execution["status"] == "FAILED"
    assert execution.get("error") == "ModelAuthFailed"  # the console shows the named error
    failed = deployed.tasks.get(task.task_id)
    assert failed.status is TaskStatus.FAILED
    assert (failed.failure_reason or "").startswith("ModelAuthFailed: ")
    assert failed.session_list()[0].outcome is SessionOutcome.FAILED
    assert deployed.invocations("turn_batch") == 1
    assert deployed.retry_sleeps == []
    assert len(server.requests) == 1


def test_a_blocker_emails_once_and_the_answer_reaches_the_resumed_session(run: Any) -> None:
    answer = "Use the DocuSign sandbox account"

    def model(request: dict[str, Any]) -> Any:
        if answer in json.dumps(request["messages"]):
            return complete()
        return reply(
            tool_use("block_task", {"reason": "which e-signature provider?"}), stop_reason="tool_use"
        )

    deployed, server = run(model)
    task = deployed.tasks.create(prompt="Set up e-signature", title="e-signature", now=utcnow())
    deployed.run_sessions(polls=2)  # the second poll does not restart a blocked task
    assert deployed.tasks.get(task.task_id).status is TaskStatus.BLOCKED
    [mail] = deployed.emails()
    assert mail.to == "ops@example.com"
    assert mail.subject == "jada: task blocked: e-signature"
    assert f'jada tasks unblock {task.task_id} --answer "..."' in mail.body
    assert "which e-signature provider?" in mail.body

    operator.unblock(deployed.tasks, task.task_id, answer, utcnow())
    deployed.run_sessions(polls=1)
    done = deployed.tasks.get(task.task_id)
    assert done.status is TaskStatus.DONE
    assert [s.outcome for s in done.session_list()] == [SessionOutcome.BLOCKED, SessionOutcome.COMPLETED]
    resumed_first = server.requests[1]["messages"][-1]
    assert answer in json.dumps(resumed_first)
    assert done.pending_answer is None
    assert deployed.emails() == []


def test_no_more_sessions_overlap_than_the_cap(run: Any) -> None:
    def slow(request: dict[str, Any]) -> Any:
        time.sleep(0.02)  # keep sessions running across several polls
        return complete()

    deployed, _ = run(slow, MAX_CONCURRENT_SESSIONS="2", SESSIONS_PER_DAY="50")
    ids = {deployed.tasks.create(prompt=f"task {i}", now=utcnow()).task_id for i in range(10)}
    seen_running: list[int] = []
    sfn = boto3.client("stepfunctions")
    for _ in range(200):
        deployed.poll()
        listed = sfn.list_executions(stateMachineArn=deployed.machine_arn)["executions"]
        seen_running.append(sum(1 for e in listed if e["status"] == "RUNNING"))
        if len(listed) == 10 and all(e["status"] != "RUNNING" for e in listed):
            break
    executions = deployed.wait()
    assert sorted(e["name"].rsplit("-s", 1)[0] for e in executions) == sorted(ids)
    assert max(seen_running) <= 2
    assert max(seen_running) == 2  # the cap was reached, not avoided
    assert all(deployed.tasks.get(i).status is TaskStatus.DONE for i in ids)


def test_a_failed_session_does_not_keep_its_slot(run: Any) -> None:
    # Given a cap of 1 and a first session the API rejects (400: the Catch path, no retry)
    deployed, _ = run(scripted(bad_request(), complete()), MAX_CONCURRENT_SESSIONS="1")
    first = deployed.tasks.create(prompt="rejected", now=utcnow())
    [execution] = deployed.run_sessions(polls=1)
    assert execution["status"] == "FAILED"
    assert (deployed.tasks.get(first.task_id).failure_reason or "").startswith("ModelRequestRejected: ")
    # Then the Catch path released the slot: the next task starts at the next poll
    second = deployed.tasks.create(prompt="runs", now=utcnow())
    deployed.run_sessions(polls=1)
    assert deployed.tasks.get(second.task_id).status is TaskStatus.DONE
