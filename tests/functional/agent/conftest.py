"""Fixtures for the turn-batch tests: the real anthropic SDK against a loopback Messages API,
stores in moto, and helpers to script the model."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from anthropic import Anthropic
from jada.agent import client as agent_client
from jada.agent.tools import BUILT_INS, Registry
from jada.agent.tools.base import Tool, ToolContext, ToolInput, ToolOutcome
from jada.agent.turns import Agent, BatchResult, BatchState, run_batch
from jada.clock import iso
from jada.models import SessionRecord, Task
from jada.settings import Settings
from jada_tools.fakes.model_server import ModelServer

from tests.conftest import NOW, Cloud

API_KEY = "sk-ant-test-0000"


class StepInput(ToolInput):
    step: str


def _step(ctx: ToolContext, args: StepInput) -> ToolOutcome:
    return ToolOutcome(f"did {args.step}")


#: a harmless extra tool for long sessions (also shows that a tool is one small definition)
STEP_TOOL = Tool(name="do_step", description="Do one step of the work.", input_model=StepInput, run=_step)


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    with ModelServer() as server:
        yield server
    agent_client.reset()


@pytest.fixture
def anthropic_client(model_server: ModelServer) -> Anthropic:
    return Anthropic(
        base_url=model_server.base_url, api_key=API_KEY, max_retries=0, _strict_response_validation=True
    )


@dataclass
class Harness:
    """Runs batches of one task against the scripted model."""

    cloud: Cloud
    server: ModelServer
    client: Anthropic
    slept: list[float] = field(default_factory=list)
    remaining_s: float = 600.0

    def task(self, prompt: str = "Build the crew page.", **fields: Any) -> Task:
        tasks = self.cloud.tasks()
        task = tasks.create(prompt=prompt, title="crew page", now=NOW)
        session = SessionRecord(number=1, execution=task.execution_name(1), started_at=iso(NOW))
        task = tasks.claim(task, session=session, now=NOW)
        if fields:
            tasks.update_fields(task.task_id, now=NOW, **fields)
        return tasks.get(task.task_id)

    def agent(self, registry: Registry | None = None, **settings: Any) -> Agent:
        return Agent(
            tasks=self.cloud.tasks(),
            checkpoints=self.cloud.checkpoints(),
            client=self.client,
            settings=Settings(**settings),
            remaining_s=lambda: self.remaining_s,
            clock=lambda: NOW,
            sleep=self.slept.append,
            registry=registry or Registry((*BUILT_INS, STEP_TOOL)),
            counters=self.cloud.counters(),
        )

    def run(self, task: Task, session: int = 1, agent: Agent | None = None, **settings: Any) -> BatchResult:
        state = BatchState(task_id=task.task_id, session=session, execution=task.execution_name(session))
        return run_batch(state, agent or self.agent(**settings))

    def script(self, responder: Callable[[dict[str, Any]], Any]) -> None:
        self.server.responder = responder


@pytest.fixture
def harness(cloud: Cloud, model_server: ModelServer, anthropic_client: Anthropic) -> Harness:
    return Harness(cloud, model_server, anthropic_client)


def last_user_text(request: dict[str, Any]) -> str:
    content = request["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content if b.get("type") == "text")


def tool_results(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool results in the request's newest message (without the cache breakpoint)."""
    content = request["messages"][-1]["content"]
    return [
        {k: v for k, v in b.items() if k != "cache_control"}
        for b in content
        if isinstance(b, dict) and b.get("type") == "tool_result"
    ]
