"""`save_progress {note}`: store a handoff note for the session that resumes this task."""

from __future__ import annotations

from pydantic import Field

from jada.agent.tools.base import Tool, ToolContext, ToolInput, ToolOutcome


class SaveProgressInput(ToolInput):
    note: str = Field(
        min_length=1, max_length=20_000, description="What is done, what is left, and what to do next."
    )


def run(ctx: ToolContext, args: SaveProgressInput) -> ToolOutcome:
    ctx.tasks.set_handoff_note(ctx.task.task_id, args.note, now=ctx.now)
    return ToolOutcome("Progress saved. A later session will start from this note.")


TOOL = Tool(
    name="save_progress",
    description="Save a handoff note: a later session resumes the task from it. "
    "Call it when asked, or before stopping with work left.",
    input_model=SaveProgressInput,
    run=run,
)
