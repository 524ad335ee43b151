from __future__ import annotations

from typing import Any

from jada.agent.conversation import CLEARED, CONTEXT_EXCEEDED, compact, digest, rebuild, texts
from jada.models import TurnRecord


def exchange(n: int, size: int = 50) -> list[dict[str, Any]]:
    return [
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": f"t{n}", "name": "x", "input": {"a": n}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"t{n}", "content": "r" * size}]},
    ]


def conversation(turns: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": "the task"}]}]
    for n in range(turns):
        messages += exchange(n)
    return messages


def test_compaction_clears_old_tool_results_and_keeps_the_opening_and_latest_messages() -> None:
    messages = conversation(5)
    compacted = compact(messages)
    assert compacted is not None
    assert compacted[0] == messages[0]
    assert compacted[-4:] == messages[-4:]
    cleared = [b["content"] for m in compacted[1:-4] for b in m["content"] if b["type"] == "tool_result"]
    assert cleared == [CLEARED] * 3
    assert messages[2]["content"][0]["content"] == "r" * 50  # the input is not mutated


def test_compaction_reports_when_nothing_is_left_to_remove() -> None:
    assert compact(conversation(2)) is None
    once = compact(conversation(5))
    assert once is not None
    assert compact(once) is None


def test_rebuild_replays_compaction_at_the_context_exceeded_turn() -> None:
    def record(turn: int, messages: list[dict[str, Any]], stop: str = "tool_use") -> TurnRecord:
        return TurnRecord(task_id="t", session=1, turn=turn, messages=messages, stop_reason=stop,
                          created_at="2026-05-12T00:00:00Z")  # fmt: skip

    full = conversation(5)
    records = [record(1, full[:3])] + [record(n + 2, exchange(n + 1)) for n in range(4)]
    records.append(record(6, [], CONTEXT_EXCEEDED))
    assert rebuild(records[:-1]) == full
    assert rebuild(records) == compact(full)


def test_digest_keeps_the_newest_lines_within_the_budget() -> None:
    text = digest(conversation(50), budget_tokens=100)
    assert len(text) <= 400
    assert text.splitlines()[-1] == "tool result: " + "r" * 50
    assert texts(conversation(1)) == "the task"
