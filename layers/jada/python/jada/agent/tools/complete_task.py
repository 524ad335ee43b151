"""`complete_task {summary}`: the task is done."""

from __future__ import annotations

from pydantic import Field

from jada.agent.tools.base import Tool, ToolContext, ToolInput, ToolOutcome
from jada.lifecycle import SessionOutcome


class CompleteTaskInput(ToolInput):
    summary: str = Field(min_length=1, max_length=10_000, description="What was done, for the operator.")


def run(ctx: ToolContext, args: CompleteTaskInput) -> ToolOutcome:
    ctx.tasks.update_fields(ctx.task.task_id, now=ctx.now, summary=args.summary)
    return ToolOutcome("Task marked complete.", ends_session=SessionOutcome.COMPLETED, reason=args.summary)


TOOL = Tool(
    name="complete_task",
    description="Mark the task as done. Call it once, when the task is fully finished, with a short summary.",
    input_model=CompleteTaskInput,
    run=run,
)
