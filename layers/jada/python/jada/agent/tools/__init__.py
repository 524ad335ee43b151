"""The tool registry.

A deployment's tools are fixed and ordered (`registry_for(settings)`): the built-ins, then each
work tool its settings enable, then tools Anthropic runs (server tools, MCP toolsets), which are
only definitions. Every request of a deployment carries the same list (prompt caching).

Adding a work tool: a module defining its `Tool`(s) and a `tools(settings) -> tuple[Tool, ...]`
(empty when the settings do not enable it), listed in WORK_TOOLS; a hosted tool: a function
`hosted(settings) -> tuple[HostedTool, ...]` (definition and guidance), listed in HOSTED_TOOLS.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from jada.agent.tools import (
    block_task,
    complete_task,
    create_task,
    deploy_site,
    editor,
    mcp,
    port_sheet,
    save_progress,
    server_tools,
)
from jada.agent.tools.base import HostedTool, Services, Tool, ToolContext, ToolOutcome
from jada.settings import Settings

BUILT_INS: tuple[Tool, ...] = (complete_task.TOOL, create_task.TOOL, save_progress.TOOL, block_task.TOOL)
#: work tools, in the order they appear in every request
WORK_TOOLS: tuple[Callable[[Settings], Sequence[Tool]], ...] = (
    editor.tools,
    deploy_site.tools,
    port_sheet.tools,
)
#: tools Anthropic runs (server tools, MCP toolsets), after the client tools
HOSTED_TOOLS: tuple[Callable[[Settings], Sequence[HostedTool]], ...] = (server_tools.hosted, mcp.hosted)


class Registry:
    def __init__(self, tools: Iterable[Tool] = BUILT_INS, hosted: Iterable[HostedTool] = ()) -> None:
        self.tools = {tool.name: tool for tool in tools}
        self.hosted = tuple(hosted)

    def definitions(self) -> list[dict[str, Any]]:
        client = [tool.definition() for tool in self.tools.values()]
        return client + [copy.deepcopy(dict(h.definition)) for h in self.hosted]

    def guidance(self) -> tuple[str, ...]:
        """The enabled tools' lines for the system prompt, in tool order (hosted tools last)."""
        lines = [tool.guidance for tool in self.tools.values()] + [h.guidance for h in self.hosted]
        return tuple(line for line in lines if line)

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


def registry_for(settings: Settings) -> Registry:
    """The deployment's tools, in their fixed order."""
    tools = [*BUILT_INS]
    for source in WORK_TOOLS:
        tools.extend(source(settings))
    hosted = [definition for source in HOSTED_TOOLS for definition in source(settings)]
    return Registry(tools, hosted)


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'input'}: {err['msg']}" for err in exc.errors()
    )


__all__ = [
    "BUILT_INS",
    "HOSTED_TOOLS",
    "WORK_TOOLS",
    "HostedTool",
    "Registry",
    "Services",
    "Tool",
    "ToolContext",
    "ToolOutcome",
    "registry_for",
]
