"""`create_task {title, prompt}`: queue a downstream task, recorded as a child of this one."""

from __future__ import annotations

from pydantic import Field

from jada.agent.tools.base import Tool, ToolContext, ToolInput, ToolOutcome
from jada.errors import InvalidTaskInput
from jada.models import MAX_PROMPT_CHARS, MAX_TITLE_CHARS


class CreateTaskInput(ToolInput):
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS, description="A short title.")
    prompt: str = Field(
        min_length=1, max_length=MAX_PROMPT_CHARS, description="Complete instructions for the new task."
    )


def run(ctx: ToolContext, args: CreateTaskInput) -> ToolOutcome:
    # the child's id derives from the tool_use id: a retried turn finds the same child
    try:
        child = ctx.tasks.create(
            title=args.title,
            prompt=args.prompt,
            now=ctx.now,
            parent_id=ctx.task.task_id,
            origin=ctx.tool_use_id,
        )
    except InvalidTaskInput as exc:
        return ToolOutcome(f"create_task failed: {exc}", is_error=True)
    ctx.tasks.add_child(ctx.task.task_id, child.task_id, now=ctx.now)
    return ToolOutcome(f"Queued task {child.task_id} ({child.title}).")


TOOL = Tool(
    name="create_task",
    description="Queue a separate downstream task that will run later in its own session.",
    input_model=CreateTaskInput,
    run=run,
)
