from __future__ import annotations

from datetime import UTC, datetime

import pytest
from jada.agent.tools import Registry
from jada.agent.tools.base import ToolContext
from jada.models import Task
from jada.stores.tasks import TaskStore

NOW = datetime(2026, 5, 12, tzinfo=UTC)


@pytest.fixture
def ctx() -> ToolContext:
    stamp = "2026-05-12T00:00:00Z"
    task = Task(task_id="t1", title="t", prompt="p", created_at=stamp, updated_at=stamp, ready_at=stamp)
    # the store is never reached: every call below fails validation first
    return ToolContext(task=task, tasks=TaskStore("unused"), now=NOW, tool_use_id="toolu_1")


def test_definitions_have_the_contract_names_and_schemas_from_pydantic() -> None:
    definitions = {d["name"]: d for d in Registry().definitions()}
    assert list(definitions) == ["complete_task", "create_task", "save_progress", "block_task"]
    create = definitions["create_task"]["input_schema"]
    assert create["required"] == ["title", "prompt"]
    assert create["additionalProperties"] is False
    assert set(create["properties"]) == {"title", "prompt"}
    assert "title" not in create["properties"]["title"]
    assert Registry().definitions() == Registry().definitions()


@pytest.mark.parametrize(
    ("name", "tool_input", "message"),
    [
        ("complete_task", {}, "Invalid input for complete_task: summary: Field required"),
        ("complete_task", {"summary": "  "}, "summary: String should have at least 1 character"),
        ("save_progress", {"note": "n", "extra": 1}, "extra: Extra inputs are not permitted"),
        ("block_task", "not an object", "reason: Field required"),
        ("teleport", {}, "Unknown tool 'teleport'. Available tools: complete_task, create_task"),
    ],
)
def test_bad_calls_are_error_results_with_a_clear_message(
    ctx: ToolContext, name: str, tool_input: object, message: str
) -> None:
    outcome = Registry().run(ctx, name, tool_input)
    assert outcome.is_error
    assert message in outcome.content
    assert outcome.ends_session is None
