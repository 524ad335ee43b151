"""Typed records shared by the stores, the handlers and the CLI."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jada.lifecycle import SessionOutcome, TaskStatus

MAX_PROMPT_CHARS = 100_000
MAX_TITLE_CHARS = 200
MIN_PRIORITY, MAX_PRIORITY = 0, 999


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    #: server tools Anthropic ran (usage.server_tool_use), priced per request
    web_search_requests: int = 0
    web_fetch_requests: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            web_search_requests=self.web_search_requests + other.web_search_requests,
            web_fetch_requests=self.web_fetch_requests + other.web_fetch_requests,
            cost_usd=round(self.cost_usd + other.cost_usd, 6),
        )


class SessionRecord(BaseModel):
    number: int
    execution: str
    started_at: str
    ended_at: str | None = None
    turns: int = 0
    outcome: SessionOutcome | None = None
    reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    #: when an operator asked to stop this session (`jada tasks stop`); the batch stops at the next turn
    stop_requested_at: str | None = None
    #: the poll invocation that claimed the task for this session (finds a claim whose response was lost)
    claimed_by: str | None = None


class Answer(BaseModel):
    at: str
    answer: str


class Task(BaseModel):
    model_config = ConfigDict(extra="ignore")

    task_id: str
    title: str
    prompt: str
    status: TaskStatus = TaskStatus.PENDING
    priority: int = 0
    created_at: str
    updated_at: str
    #: when a pending/suspended task may run next (ISO UTC)
    ready_at: str
    parent_id: str | None = None
    #: the tool_use id that created this task (idempotency of `create_task`)
    origin: str | None = None
    children: list[str] = Field(default_factory=list)
    handoff_note: str | None = None
    summary: str | None = None
    blocked_reason: str | None = None
    failure_reason: str | None = None
    answers: list[Answer] = Field(default_factory=list)
    #: an operator answer not yet delivered to the model
    pending_answer: str | None = None
    sessions: dict[str, SessionRecord] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    max_cost_usd: float | None = None
    version: int = 0

    @property
    def session_count(self) -> int:
        return len(self.sessions)

    def session_list(self) -> list[SessionRecord]:
        return [self.sessions[k] for k in sorted(self.sessions, key=int)]

    def execution_name(self, number: int) -> str:
        return f"{self.task_id}-s{number}"


class SessionEnding(BaseModel):
    """A tool call of the turn ended the session (complete_task, block_task, an approval to wait for)."""

    outcome: SessionOutcome
    reason: str | None = None


class TurnRecord(BaseModel):
    """What one turn added to the conversation (append-only; never the whole transcript)."""

    model_config = ConfigDict(extra="ignore")

    task_id: str
    session: int
    turn: int
    #: the messages this turn appended, in Messages API shape
    messages: list[dict[str, Any]]
    stop_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    created_at: str
    #: set when one of the turn's tool calls ended the session
    ended: SessionEnding | None = None
