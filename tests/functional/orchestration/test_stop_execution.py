"""`jada tasks stop` against a real execution of the synthesized state machine (moto's engine, the
real handlers in-process, the Messages API fake): stopped mid-turn, recorded once, resumed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from jada.clock import utc_day, utcnow
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.orchestration import operator
from jada.stores.checkpoints import CheckpointStore
from jada.stores.counters import CounterStore
from jada_tools.cli import stack as cli_stack
from jada_tools.cli.main import app
from jada_tools.fakes.model_server import ModelServer, reply, tool_use
from jada_tools.local.metrics import parse_emf
from typer.testing import CliRunner

from tests.functional.orchestration.deployed import Deployed, deploy

pytestmark = pytest.mark.slow


def outputs_of(deployed: Deployed) -> dict[str, str]:
    """The stack outputs the CLI reads, taken from the emulated functions' environments."""
    batch = deployed.cloud.deployment.function_by_folder("turn_batch")
    poll = deployed.cloud.deployment.function_by_folder("poll")
    assert batch is not None
    assert poll is not None
    return {
        "TasksTableName": batch.environment["TASKS_TABLE"],
        "CountersTableName": poll.environment["COUNTERS_TABLE"],
        "CheckpointsTableName": batch.environment["CHECKPOINTS_TABLE"],
        "CheckpointBucketName": batch.environment["CHECKPOINT_BUCKET"],
        "StateMachineArn": deployed.machine_arn,
        "PollFunctionName": poll.name,
    }


class HeldModel:
    """Replies `save_progress` (the task never ends by itself) but holds the third call until
    released, so a stop arrives while a turn is in flight. After the stop: `complete_task`."""

    def __init__(self) -> None:
        self.in_third_call = threading.Event()
        self.release = threading.Event()
        self.calls = 0
        self.finish = False

    def __call__(self, request: dict[str, Any]) -> Any:
        self.calls += 1
        if self.finish:
            return reply(
                tool_use("complete_task", {"summary": "done after the stop"}), stop_reason="tool_use"
            )
        if self.calls == 3:
            self.in_third_call.set()
            assert self.release.wait(60)
        return reply(tool_use("save_progress", {"note": f"step {self.calls}"}), stop_reason="tool_use")


@pytest.fixture
def world(app_template: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # not `atomic_moto`: it holds moto for a whole Lambda invocation (the in-flight turn), and the
    # stop must reach moto while that turn waits on the model; no two writers race here
    model = HeldModel()
    server = ModelServer(model).start()
    try:
        with deploy(app_template, server.base_url) as deployed:
            monkeypatch.setenv("JADA_OUTPUTS_JSON", json.dumps(outputs_of(deployed)))
            cli_stack.outputs.cache_clear()
            yield deployed, server, model
            cli_stack.outputs.cache_clear()
    finally:
        model.release.set()
        server.stop()


def wait_for(condition: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_stop_mid_turn_records_a_stopped_session_once_and_the_task_resumes(world: Any) -> None:
    deployed, server, model = world
    cli = CliRunner()
    task = deployed.tasks.create(prompt="Keep going until stopped", title="long job", now=utcnow())
    # Given a session in its third model call
    deployed.poll()
    assert model.in_third_call.wait(60)
    # When the operator stops it (what `jada tasks stop` runs; the CLI itself is tested in
    # tests/functional/cli: CliRunner swaps sys.stdout, as the Lambda thread in flight does too)
    out = outputs_of(deployed)
    counters = CounterStore(out["CountersTableName"])
    history = CheckpointStore(out["CheckpointsTableName"], out["CheckpointBucketName"])
    sfn = boto3.client("stepfunctions")
    stopped = operator.stop(
        task.task_id, utcnow(), tasks=deployed.tasks, counters=counters, checkpoints=history, sfn=sfn,
        state_machine_arn=deployed.machine_arn,
    )  # fmt: skip
    # Then the execution is aborted, the session recorded stopped, the slot free
    assert (stopped.execution, stopped.outcome) == (f"{task.task_id}-s1", "stopped")
    after_stop = deployed.tasks.get(task.task_id)
    assert after_stop.status is TaskStatus.SUSPENDED
    assert after_stop.sessions["1"].outcome is SessionOutcome.STOPPED
    assert counters.slot_holders(utcnow()) == {}
    assert counters.sessions_used(utc_day(utcnow())) == 1

    # When the turn in flight finishes (its Lambda outlives the aborted execution)
    batches = deployed.invocations("turn_batch")
    model.release.set()
    wait_for(lambda: deployed.invocations("turn_batch") > batches)
    # (moto marks the execution aborted once the step in flight returns; AWS does at once)
    [listed] = deployed.wait()
    assert listed["status"] == "ABORTED"
    # Then it made no further model call, and its progress kept the session's end
    assert len(server.requests) == 3
    session = deployed.tasks.get(task.task_id).sessions["1"]
    assert (session.outcome, session.turns, session.ended_at) == (
        SessionOutcome.STOPPED,
        3,
        after_stop.sessions["1"].ended_at,
    )

    # When EventBridge delivers the ABORTED status change (moto drops StopExecution's error name)
    detail = {"name": listed["name"], "status": "ABORTED", "input": listed["input"]}
    event = {
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": detail,
    }
    session_end = deployed.cloud.deployment.function_by_folder("session_end")
    assert session_end is not None
    boto3.client("lambda").invoke(FunctionName=session_end.name, Payload=json.dumps(event).encode())
    # Then nothing changes, and no metric a failure alarm watches is emitted; nobody is emailed
    [invocation] = [i for i in deployed.cloud.runtime.invocations if i.function_name == session_end.name]
    emitted = {p.name for line in invocation.stdout.splitlines() for p in parse_emf(line, utcnow())}
    assert emitted.isdisjoint({"SessionFailed", "TaskFailed"})
    assert deployed.tasks.get(task.task_id).sessions["1"] == session
    assert deployed.emails() == []

    # When the next poll runs: the task resumes in session 2 and finishes
    model.finish = True
    deployed.run_sessions(polls=1)
    done = deployed.tasks.get(task.task_id)
    assert done.status is TaskStatus.DONE
    assert [s.outcome for s in done.session_list()] == [SessionOutcome.STOPPED, SessionOutcome.COMPLETED]
    assert counters.sessions_used(utc_day(utcnow())) == 2

    # And the transcript shows both sessions, the stop and the calls
    shown = cli.invoke(app, ["tasks", "transcript", task.task_id])
    assert shown.exit_code == 0, shown.output
    assert "session 1" in shown.output
    assert "stopped" in shown.output
    assert "stopped by the operator" in shown.output
    assert "-> save_progress" in shown.output
    assert "-> complete_task" in shown.output
    assert "jada (resumed session)" in shown.output
