"""The turn loop: one batch of a session's turns, from its checkpoint to a small status.

A turn = one Messages API call, the tool calls it asks for, then a checkpoint of the messages
it appended. The batch stops at `turns_per_batch`, when the Lambda's remaining time runs low,
at the session's turn limit (or cost budget), or when the session ends. It never changes the
task's status: the session-end function does, from the returned status.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jada.agent import conversation, prompts
from jada.agent.model_call import can_start_call, create_message
from jada.agent.outcome import Ending, ending_of
from jada.agent.replies import ModelReply, reply_of
from jada.agent.tools import Registry, Services, ToolContext, ToolOutcome, mcp
from jada.clock import iso, utcnow
from jada.lifecycle import CONTINUE, STOPPED_REASON, SessionOutcome
from jada.models import SessionEnding, SessionRecord, Task, TurnRecord, Usage
from jada.settings import Settings
from jada.stores.checkpoints import CheckpointStore
from jada.stores.counters import CounterStore
from jada.stores.tasks import TaskStore
from jada.telemetry import logger


class BatchState(BaseModel):
    """The state machine's payload: ids and counters only."""

    model_config = ConfigDict(extra="ignore")

    task_id: str = Field(min_length=1)
    session: int = Field(ge=1)
    execution: str = ""
    turns: int = 0


class BatchResult(BaseModel):
    state: BatchState
    status: str
    reason: str | None = None
    #: turns of the session so far
    turns: int
    #: turns run by this batch
    turns_run: int = 0
    usage: Usage = Field(default_factory=Usage)
    checkpoint_bytes: list[int] = Field(default_factory=list)

    def output(self) -> dict[str, Any]:
        """The next state of the state machine (docs/architecture.md)."""
        return {
            "task_id": self.state.task_id,
            "session": self.state.session,
            "execution": self.state.execution,
            "turns": self.turns,
            "status": self.status,
            "reason": self.reason,
        }


@dataclass
class Agent:
    """What a batch needs, injected (production defaults for the clock and sleep)."""

    tasks: TaskStore
    checkpoints: CheckpointStore
    client: Any
    settings: Settings
    remaining_s: Callable[[], float]
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep
    registry: Registry = field(default_factory=Registry)
    services: Services = field(default_factory=Services)
    #: where each turn's cost is added to the day's and month's spend (None: not recorded)
    counters: CounterStore | None = None


def run_batch(state: BatchState, agent: Agent) -> BatchResult:
    return _Batch(state, agent).run()


class _Batch:
    def __init__(self, state: BatchState, agent: Agent) -> None:
        self.state = state
        self.agent = agent
        self.settings = agent.settings
        self.tools = agent.registry.definitions()
        self.system = prompts.system_blocks(agent.registry.guidance())
        self.log = logger()
        self.usage = Usage()
        self.written: list[int] = []
        self.turns_run = 0
        self.task: Task = agent.tasks.get(state.task_id)
        self.records: list[TurnRecord] = agent.checkpoints.load_session(state.task_id, state.session)
        self.messages = conversation.rebuild(self.records)

    # --- the loop -------------------------------------------------------------------------------
    def run(self) -> BatchResult:
        self._account(self.agent.clock())  # turns a crashed batch stored but did not count
        self._clear_delivered_answer()
        stop = self._stop_before_turn()
        while stop is None:
            record, ending = self._turn()
            stop = self._stop_after_turn(record, ending)
        return stop

    def _stop_before_turn(self) -> BatchResult | None:
        ending = ending_of(self.records)
        if ending is not None:  # a retried batch after the session already ended
            self._record_ending(ending)
            return self._result(ending.outcome.value, ending.reason)
        return self._stop_requested() or self._limit_reached() or self._batch_done()

    def _stop_after_turn(self, record: TurnRecord, ending: Ending | None) -> BatchResult | None:
        if ending is not None:
            self._record_ending(ending)
            return self._result(ending.outcome.value, ending.reason)
        return self._stop_requested() or self._limit_reached() or self._batch_done()

    def _stop_requested(self) -> BatchResult | None:
        """The operator stopped this session (`jada tasks stop`): no further model call. The task
        is re-read after every turn (`_account`)."""
        record = self.task.sessions.get(str(self.state.session))
        if record is not None and (record.stop_requested_at or record.ended_at):
            return self._result(SessionOutcome.STOPPED.value, STOPPED_REASON)
        return None

    def _limit_reached(self) -> BatchResult | None:
        turns = len(self.records)
        if turns >= self.settings.turns_per_session:
            return self._result(SessionOutcome.TURN_LIMIT.value, f"turn limit reached ({turns} turns)")
        budget = self.task.max_cost_usd
        if budget is not None and self.task.usage.cost_usd >= budget:
            spent = self.task.usage.cost_usd
            return self._result(
                SessionOutcome.TURN_LIMIT.value, f"cost budget reached (${spent:.4f} of ${budget})"
            )
        return None

    def _batch_done(self) -> BatchResult | None:
        if self.turns_run >= self.settings.turns_per_batch:
            return self._result(CONTINUE)
        if not can_start_call(self.agent.remaining_s()):
            return self._result(CONTINUE, "Lambda time running out")
        return None

    def _result(self, status: str, reason: str | None = None) -> BatchResult:
        return BatchResult(
            state=self.state,
            status=status,
            reason=reason,
            turns=len(self.records),
            turns_run=self.turns_run,
            usage=self.usage,
            checkpoint_bytes=self.written,
        )

    # --- one turn -------------------------------------------------------------------------------
    def _turn(self) -> tuple[TurnRecord, Ending | None]:
        number = len(self.records) + 1
        appended = [self._opening(number)] if number == 1 else []
        request = prompts.build_request(
            self.settings.model, self.messages + appended, self.tools, system=self.system
        )
        reply = self._reply(number, request)
        now = self.agent.clock()
        self._record_spend(number, reply.usage, now)
        usage, stop = reply.usage, reply.stop_reason
        ended: SessionEnding | None = None
        if stop != conversation.CONTEXT_EXCEEDED:
            content = reply.content or [prompts.text_block("(no output)")]
            appended.append({"role": "assistant", "content": content})
            follow, ended = self._follow_up(content, stop, number, now)
            if follow:
                appended.append({"role": "user", "content": follow})
        record = TurnRecord(
            task_id=self.task.task_id,
            session=self.state.session,
            turn=number,
            messages=appended,
            stop_reason=stop,
            usage=usage,
            created_at=iso(now),
            ended=ended,
        )
        progress = self._progress([*self.records, record], now)
        together = (
            self.agent.tasks.turns_transaction_item(self.task.task_id, *progress, now=now)
            if progress
            else None
        )
        # stored and counted on the task together: a crash cannot leave a turn uncounted or count it twice
        self.written.append(self.agent.checkpoints.append(record, now, together=together))
        self.records.append(record)
        if stop == conversation.CONTEXT_EXCEEDED:
            self.messages = conversation.rebuild(self.records)
        else:
            self.messages = self.messages + appended
        self.turns_run += 1
        self.usage = self.usage + usage
        self._account(now, fresh=True)
        self._clear_delivered_answer()
        self.log.info(
            "turn done",
            extra={"turn": number, "stop_reason": stop, "input_tokens": usage.input_tokens,
                   "output_tokens": usage.output_tokens, "cost_usd": usage.cost_usd},
        )  # fmt: skip
        return record, ending_of(self.records)

    def _reply(self, number: int, request: dict[str, Any]) -> ModelReply:
        """The model's reply for this turn: the one stored by a batch that crashed before its
        checkpoint, else a new call (stored before any tool runs)."""
        task_id, session = self.task.task_id, self.state.session
        stored = self.agent.checkpoints.load_reply(task_id, session, number)
        if stored is not None:
            self.log.info("reusing the stored model reply of an interrupted turn", extra={"turn": number})
            return ModelReply.model_validate(stored)
        # the MCP connector's servers carry their tokens: added here, kept nowhere
        sent = {**request, **mcp.request_options(self.settings, self.agent.services)}
        response = create_message(
            self.agent.client, sent, remaining_s=self.agent.remaining_s, sleep=self.agent.sleep
        )
        reply = reply_of(self.settings.model, response)  # malformed: ModelUnavailable, nothing stored
        self.agent.checkpoints.save_reply(
            task_id, session, number, reply.model_dump(mode="json"), self.agent.clock()
        )
        return reply

    def _follow_up(
        self, content: list[dict[str, Any]], stop: str | None, number: int, now: datetime
    ) -> tuple[list[dict[str, Any]], SessionEnding | None]:
        """The user message answering this reply (tool results, and notes from jada), and the
        session's ending if one of the tool calls ended it."""
        calls = [b for b in content if b.get("type") == "tool_use"]
        blocks: list[dict[str, Any]] = []
        ended: SessionEnding | None = None
        if stop == "tool_use":
            stored = self.agent.checkpoints.load_tool_results(self.task.task_id, self.state.session, number)
            for call in calls:
                outcome = self._tool_outcome(call, number, now, stored)
                if ended is None and outcome.ends_session is not None and not outcome.is_error:
                    ended = SessionEnding(outcome=outcome.ends_session, reason=outcome.reason)
                blocks.append(_tool_result(call["id"], outcome))
        elif stop == "max_tokens":
            blocks += [_tool_result(c["id"], ToolOutcome(prompts.truncated_tool_call(), True)) for c in calls]
            blocks.append(prompts.text_block(prompts.output_cut_off()))
        if blocks and ended is None and self._handoff_due(number + 1):
            blocks.append(prompts.text_block(prompts.handoff_request(self._turns_left(number + 1))))
        return blocks, ended

    def _tool_outcome(
        self, call: dict[str, Any], number: int, now: datetime, stored: dict[str, dict[str, Any]]
    ) -> ToolOutcome:
        """A tool call's result: the one a crashed batch already got, else the tool run now (and kept
        at once, so a retry after a later crash does not run it again)."""
        if call["id"] in stored:
            self.log.info("reusing the stored result of a tool call", extra={"tool": call.get("name")})
            return ToolOutcome.from_dict(stored[call["id"]])
        ctx = ToolContext(
            task=self.task, tasks=self.agent.tasks, now=now, tool_use_id=call["id"],
            session=self.state.session, turn=number, services=self.agent.services,
        )  # fmt: skip
        outcome = self.agent.registry.run(ctx, call.get("name", ""), call.get("input"))
        self.log.info("tool call", extra={"tool": call.get("name"), "is_error": outcome.is_error})
        self.agent.checkpoints.save_tool_result(
            self.task.task_id, self.state.session, number, call["id"], outcome.to_dict(), now=now
        )
        return outcome

    # --- session start --------------------------------------------------------------------------
    def _opening(self, number: int) -> dict[str, Any]:
        task = self.task
        if self.state.session > 1 or task.pending_answer:
            earlier = [
                r for r in self.agent.checkpoints.load_task(task.task_id) if r.session < self.state.session
            ]
            history = conversation.digest(_earlier_messages(earlier))
            text = prompts.resumed_opening(task, history, task.pending_answer)
        else:
            text = prompts.opening(task)
        blocks = [prompts.text_block(text)]
        if self._handoff_due(number):
            blocks.append(prompts.text_block(prompts.handoff_request(self._turns_left(number))))
        return {"role": "user", "content": blocks}

    def _handoff_due(self, number: int) -> bool:
        """The model is asked for a handoff note once, from turn `turns_per_session - handoff_margin`."""
        limit = self.settings.turns_per_session
        if self.settings.handoff_margin == 0 or number > limit:
            return False
        if number < limit - self.settings.handoff_margin:
            return False
        return not prompts.handoff_requested(self.messages)

    def _turns_left(self, number: int) -> int:
        return self.settings.turns_per_session - number + 1

    # --- bookkeeping on the task ----------------------------------------------------------------
    def _progress(self, records: list[TurnRecord], now: datetime) -> tuple[SessionRecord, Usage] | None:
        """The session record counting `records`, and the usage of those the task does not count
        yet; None when it counts them all."""
        number = self.state.session
        session = self.task.sessions.get(str(number))
        counted = session.turns if session is not None else 0
        if counted >= len(records):
            return None
        session = session or SessionRecord(
            number=number,
            execution=self.state.execution or self.task.execution_name(number),
            started_at=iso(now),
        )
        added = sum((r.usage for r in records[counted:]), Usage())
        total = sum((r.usage for r in records), Usage())
        return session.model_copy(update={"turns": len(records), "usage": total}), added

    def _account(self, now: datetime, *, fresh: bool = False) -> None:
        """Count the stored turns the task does not count yet, once (a turn is normally counted
        with its checkpoint; this catches a session record that was missing, or older turns).
        `fresh`: read the task first (after a turn, to see what other writers changed)."""
        tasks = self.agent.tasks
        if fresh:
            self.task = tasks.get(self.task.task_id)
        progress = self._progress(self.records, now)
        if progress is not None:
            self.task = tasks.record_turns(self.task.task_id, *progress, now=now) or tasks.get(
                self.task.task_id
            )

    def _record_spend(self, number: int, usage: Usage, now: datetime) -> None:
        """The turn's cost into the spend totals (the monthly budget, `jada cost`), keyed by the
        turn: a batch retried after a crash reuses the stored reply and adds nothing twice."""
        if self.agent.counters is not None:
            key = f"{self.task.task_id}#{self.state.session}#{number}"
            self.agent.counters.record_spend(key, usage.cost_usd, now)

    def _record_ending(self, ending: Ending) -> None:
        """Summary or blocked reason for endings no tool recorded (idempotent)."""
        now = self.agent.clock()
        if ending.summary is not None and self.task.summary != ending.summary:
            self.agent.tasks.update_fields(self.task.task_id, now=now, summary=ending.summary)
        if ending.outcome is SessionOutcome.BLOCKED and self.task.blocked_reason != ending.reason:
            self.agent.tasks.update_fields(self.task.task_id, now=now, blocked_reason=ending.reason)

    def _clear_delivered_answer(self) -> None:
        """Once the session's first turn is stored, the operator's answer has reached the model."""
        answer = self.task.pending_answer
        if answer and self.records and answer in conversation.texts(self.records[0].messages):
            self.agent.tasks.update_fields(self.task.task_id, now=self.agent.clock(), pending_answer=None)
            self.task = self.task.model_copy(update={"pending_answer": None})


def _tool_result(tool_use_id: str, outcome: ToolOutcome) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_use_id, "content": outcome.content}
    if outcome.is_error:
        block["is_error"] = True
    return block


def _earlier_messages(records: list[TurnRecord]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for number in sorted({r.session for r in records}):
        messages += conversation.rebuild(r for r in records if r.session == number)
    return messages
