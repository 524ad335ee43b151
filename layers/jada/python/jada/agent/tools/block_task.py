"""`block_task {reason}`: the task needs a human; the operator's answer arrives on resume."""

from __future__ import annotations

from pydantic import Field

from jada.agent.tools.base import Tool, ToolContext, ToolInput, ToolOutcome
from jada.lifecycle import SessionOutcome


class BlockTaskInput(ToolInput):
    reason: str = Field(min_length=1, max_length=5_000, description="What you need from the operator.")


def run(ctx: ToolContext, args: BlockTaskInput) -> ToolOutcome:
    ctx.tasks.update_fields(ctx.task.task_id, now=ctx.now, blocked_reason=args.reason)
    return ToolOutcome(
        "Task blocked; the operator will be asked.", ends_session=SessionOutcome.BLOCKED, reason=args.reason
    )


TOOL = Tool(
    name="block_task",
    description="Stop and ask the operator: use it when you cannot continue without a human decision.",
    input_model=BlockTaskInput,
    run=run,
)
