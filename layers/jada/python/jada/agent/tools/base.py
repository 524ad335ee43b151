"""What a tool is: a name, a description, a pydantic input model and a function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from jada.lifecycle import SessionOutcome
from jada.models import Task
from jada.stores.tasks import TaskStore


class ToolInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


@dataclass(frozen=True)
class ToolContext:
    task: Task
    tasks: TaskStore
    now: datetime
    #: the id of the tool_use block being answered: side effects derive their ids from it
    tool_use_id: str


@dataclass(frozen=True)
class ToolOutcome:
    content: str
    is_error: bool = False
    #: set when the tool ends the session (complete_task, block_task)
    ends_session: SessionOutcome | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_model: type[ToolInput]
    run: Callable[[ToolContext, Any], ToolOutcome]

    def definition(self) -> dict[str, Any]:
        """The Messages API tool definition (deterministic: same bytes on every turn)."""
        return {"name": self.name, "description": self.description, "input_schema": _schema(self.input_model)}


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    return schema
