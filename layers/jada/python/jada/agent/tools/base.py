"""What a tool is: a name, a description, a pydantic input model and a function.

A tool may be one of Anthropic's own (e.g. the text editor): it then has an `api_type`, and its
definition is `{"type": ..., "name": ...}` (the model knows the schema; our input model still
validates what comes in). Tools reach adapters beyond the task store through `ctx.services`,
which makes each one on first use from the deployment's settings and resource names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from jada.lifecycle import SessionOutcome
from jada.models import Task
from jada.settings import Resources, Settings
from jada.stores.tasks import TaskStore

T = TypeVar("T")
#: makes an adapter from the deployment's settings and resource names
Factory = Callable[[Settings, Resources], T]


class ToolInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Services:
    """Adapters for tools, made on first use and kept for the batch (tests `provide` their own).

    workspace = ctx.services.get(workspace_from)   # workspace_from(settings, resources)
    """

    def __init__(self, settings: Settings | None = None, resources: Resources | None = None) -> None:
        self.settings = settings or Settings()
        self.resources = resources or Resources()
        self._made: dict[Any, Any] = {}

    def get(self, factory: Factory[T]) -> T:
        if factory not in self._made:
            self._made[factory] = factory(self.settings, self.resources)
        value: T = self._made[factory]
        return value

    def provide(self, factory: Factory[T], value: T) -> Services:
        self._made[factory] = value
        return self


@dataclass(frozen=True)
class ToolContext:
    task: Task
    tasks: TaskStore
    now: datetime
    #: the id of the tool_use block being answered: side effects derive their ids from it
    tool_use_id: str
    session: int = 1
    turn: int = 1
    services: Services = field(default_factory=Services)


@dataclass(frozen=True)
class ToolOutcome:
    content: str
    is_error: bool = False
    #: set when the tool ends the session (complete_task, block_task, a deploy awaiting approval)
    ends_session: SessionOutcome | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"content": self.content, "is_error": self.is_error}
        if self.ends_session is not None:
            data["ends_session"] = self.ends_session.value
        if self.reason is not None:
            data["reason"] = self.reason
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolOutcome:
        ends = data.get("ends_session")
        return cls(
            content=str(data.get("content", "")),
            is_error=bool(data.get("is_error")),
            ends_session=SessionOutcome(ends) if ends else None,
            reason=data.get("reason"),
        )


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_model: type[ToolInput]
    run: Callable[[ToolContext, Any], ToolOutcome]
    #: an Anthropic-defined tool's type (e.g. `text_editor_20250728`): no input_schema is sent
    api_type: str | None = None
    #: extra fields of an Anthropic-defined tool's definition (e.g. `max_characters`)
    api_options: Mapping[str, Any] = field(default_factory=dict)
    #: one fixed line for the system prompt: what the tool is for in this deployment
    guidance: str = ""

    def definition(self) -> dict[str, Any]:
        """The Messages API tool definition (deterministic: same bytes on every turn)."""
        if self.api_type:
            return {"type": self.api_type, "name": self.name, **self.api_options}
        return {"name": self.name, "description": self.description, "input_schema": _schema(self.input_model)}


@dataclass(frozen=True)
class HostedTool:
    """A tool Anthropic runs (a server tool, an MCP toolset): only its definition is ours."""

    definition: Mapping[str, Any]
    #: one fixed line for the system prompt
    guidance: str = ""


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    return schema
