"""The tool registry. Adding a tool = one module defining `TOOL`, listed in BUILT_INS."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from jada.agent.tools import block_task, complete_task, create_task, save_progress
from jada.agent.tools.base import Tool, ToolContext, ToolOutcome

BUILT_INS: tuple[Tool, ...] = (complete_task.TOOL, create_task.TOOL, save_progress.TOOL, block_task.TOOL)


class Registry:
    def __init__(self, tools: Iterable[Tool] = BUILT_INS) -> None:
        self.tools = {tool.name: tool for tool in tools}

    def definitions(self) -> list[dict[str, Any]]:
        return [tool.definition() for tool in self.tools.values()]

    def run(self, ctx: ToolContext, name: str, tool_input: Any) -> ToolOutcome:
        """Run one tool call. Bad input or an unknown tool is an is_error result, never a crash."""
        tool = self.tools.get(name)
        if tool is None:
            known = ", ".join(self.tools)
            return ToolOutcome(f"Unknown tool {name!r}. Available tools: {known}.", is_error=True)
        try:
            args = tool.input_model.model_validate(tool_input if isinstance(tool_input, dict) else {})
        except ValidationError as exc:
            return ToolOutcome(
                f"Invalid input for {name}: {_problems(exc)}. Fix it and call again.", is_error=True
            )
        return tool.run(ctx, args)


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'input'}: {err['msg']}" for err in exc.errors()
    )


__all__ = ["BUILT_INS", "Registry", "Tool", "ToolContext", "ToolOutcome"]
