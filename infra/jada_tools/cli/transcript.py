"""A task's conversation from its checkpoints, by session and turn: structured data (`--json`) and
a rich text view (`jada tasks transcript`).

Every block of every stored turn becomes one entry: `text`, `thinking`, `tool_call` (the agent's
tools, server tools, MCP tools), `tool_result` (with the name of the call it answers and
`is_error`), `note` (jada's own messages: the task's opening, the resume opening with the
operator's answer, the handoff request, the output-cut-off notice) or `block` (any other block
type, kept whole). The text view cuts long values (`CUT` characters) unless asked for all.
"""

from __future__ import annotations

import json
from typing import Any

from jada.agent import prompts
from jada.models import SessionRecord, Task, TurnRecord
from rich.console import Console
from rich.text import Text

CUT = 300
CALL_TYPES = {"tool_use", "server_tool_use", "mcp_tool_use"}
RESULT_TYPES = {"tool_result", "mcp_tool_result"}
ANSWERED = "The operator answered:\n"
RESUME_TAIL = "\n\nContinue from where the work stopped."


# --- structured data ------------------------------------------------------------------------------
def transcript(task: Task, records: list[TurnRecord], only_session: int | None = None) -> dict[str, Any]:
    """The task's sessions (all, or `only_session`) with their stored turns."""
    numbers = sorted({int(k) for k in task.sessions} | {r.session for r in records})
    if only_session is not None:
        numbers = [only_session]
    return {
        "task_id": task.task_id,
        "title": task.title,
        "status": task.status.value,
        "sessions": [
            _session(task.sessions.get(str(n)), n, [r for r in records if r.session == n]) for n in numbers
        ],
    }


def _session(record: SessionRecord | None, number: int, turns: list[TurnRecord]) -> dict[str, Any]:
    names: dict[str, str] = {}  # tool_use id -> tool name, for the results that answer them
    return {
        "number": number,
        "execution": record.execution if record else None,
        "started_at": record.started_at if record else None,
        "ended_at": record.ended_at if record else None,
        "outcome": record.outcome.value if record and record.outcome else None,
        "reason": record.reason if record else None,
        "turns": [_turn(t, names) for t in turns],
    }


def _turn(record: TurnRecord, names: dict[str, str]) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for index, message in enumerate(record.messages):
        role = str(message.get("role", "?"))
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        for position, block in enumerate(blocks):
            opening = record.turn == 1 and index == 0 and position == 0 and role == "user"
            entries.append(_entry(role, block, names, opening=opening))
    return {
        "turn": record.turn,
        "at": record.created_at,
        "stop_reason": record.stop_reason,
        "usage": record.usage.model_dump(),
        "entries": entries,
    }


def _entry(role: str, block: Any, names: dict[str, str], *, opening: bool) -> dict[str, Any]:
    if not isinstance(block, dict):
        return {"role": role, "kind": "block", "type": type(block).__name__, "data": block}
    kind = block.get("type")
    if kind == "text":
        text = str(block.get("text", ""))
        note = _note(text, opening) if role == "user" else None
        if note is not None:
            return {"role": role, "kind": "note", **note, "text": text}
        return {"role": role, "kind": "text", "text": text}
    if kind == "thinking":
        return {"role": role, "kind": "thinking", "text": str(block.get("thinking", ""))}
    if kind in CALL_TYPES:
        call_id, name = str(block.get("id", "")), str(block.get("name") or kind)
        names[call_id] = name
        entry = {"role": role, "kind": "tool_call", "type": kind, "id": call_id, "name": name}
        if block.get("server_name"):
            entry["server"] = block["server_name"]
        return {**entry, "input": block.get("input")}
    if kind in RESULT_TYPES:
        call_id = str(block.get("tool_use_id", ""))
        return {
            "role": role,
            "kind": "tool_result",
            "type": kind,
            "tool_use_id": call_id,
            "name": names.get(call_id),
            "is_error": bool(block.get("is_error")),
            "content": _result_text(block.get("content")),
        }
    return {
        "role": role,
        "kind": "block",
        "type": str(kind),
        "data": {k: v for k, v in block.items() if k != "type"},
    }


def _note(text: str, opening: bool) -> dict[str, Any] | None:
    """jada's own user messages, by the marks and wording prompts.py gives them."""
    if text.startswith(prompts.RESUME_MARK):
        answer = None
        if ANSWERED in text:
            answer = text.split(ANSWERED, 1)[1].removesuffix(RESUME_TAIL).strip()
        return {"note": "resumed", "answer": answer}
    if text.startswith(prompts.HANDOFF_MARK):
        return {"note": "handoff_request"}
    if text == prompts.output_cut_off():
        return {"note": "output_cut_off"}
    if opening:
        return {"note": "opening"}
    return None


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            str(b.get("text", "")) if isinstance(b, dict) and b.get("type") == "text" else _json(b)
            for b in content
        ]
        return "\n".join(parts)
    return "" if content is None else _json(content)


def final_text(records: list[TurnRecord]) -> str | None:
    """The agent's last text in these turns (the final words of a session)."""
    for record in reversed(records):
        for message in reversed(record.messages):
            if message.get("role") != "assistant":
                continue
            content = message.get("content")
            if isinstance(content, str) and content.strip():
                return content.strip()
            texts = [
                b.get("text", "") for b in content or [] if isinstance(b, dict) and b.get("type") == "text"
            ]
            joined = "\n".join(t for t in texts if t).strip()
            if joined:
                return joined
    return None


# --- text view ------------------------------------------------------------------------------------
NOTES = {
    "opening": "jada (task)",
    "resumed": "jada (resumed session)",
    "handoff_request": "jada (handoff request)",
    "output_cut_off": "jada (output cut off)",
}


def cut(value: str, full: bool, limit: int = CUT) -> str:
    if full or len(value) <= limit:
        return value
    return value[:limit] + f" … [{len(value)} characters; --full shows all]"


def render(console: Console, data: dict[str, Any], *, full: bool = False) -> None:
    console.print(Text(f"{data['task_id']}  {data['title']}  ({data['status']})", style="bold"))
    for session in data["sessions"]:
        _render_session(console, session, full)


def _render_session(console: Console, session: dict[str, Any], full: bool) -> None:
    outcome = session["outcome"] or ("running" if session["started_at"] else "?")
    head = f"session {session['number']}"
    if session["execution"]:
        head += f"  {session['execution']}"
    head += f"  {outcome}, {len(session['turns'])} stored turns"
    if session["started_at"]:
        head += f"  {session['started_at']} -> {session['ended_at'] or '...'}"
    console.print()
    console.print(Text(head, style="bold cyan"))
    if session["reason"]:
        console.print(Text(f"  reason: {session['reason']}"))
    if not session["turns"]:
        console.print(Text("  (no stored turns)", style="dim"))
    for turn in session["turns"]:
        u = turn["usage"]
        console.print(
            Text(
                f"  turn {turn['turn']}  {turn['at']}  stop: {turn['stop_reason'] or '-'}  "
                f"{u['input_tokens']} in / {u['output_tokens']} out / cache {u['cache_write_tokens']} "
                f"write {u['cache_read_tokens']} read  ${u['cost_usd']:.4f}",
                style="dim",
            )
        )
        for entry in turn["entries"]:
            console.print(_entry_text(entry, full))


def _entry_text(entry: dict[str, Any], full: bool) -> Text:
    kind = entry["kind"]
    if kind == "text":
        return _line(
            f"{entry['role']}: ", cut(entry["text"], full), "green" if entry["role"] == "assistant" else ""
        )
    if kind == "thinking":
        return _line("thinking: ", cut(entry["text"], full), "dim")
    if kind == "note":
        body = cut(entry["text"], full)
        if entry.get("answer"):
            body += "\n" + f"operator answer: {cut(entry['answer'], full)}"
        return _line(f"{NOTES.get(entry['note'], 'jada')}: ", body, "magenta")
    if kind == "tool_call":
        where = f" ({entry['type']}" + (f", {entry['server']}" if entry.get("server") else "") + ")"
        where = "" if entry["type"] == "tool_use" else where
        return _line(f"-> {entry['name']}{where} ", cut(_json(entry["input"]), full), "yellow")
    if kind == "tool_result":
        label = f"<- {entry['name'] or entry['tool_use_id']}" + (" ERROR" if entry["is_error"] else "")
        return _line(f"{label}: ", cut(entry["content"], full), "red" if entry["is_error"] else "blue")
    return _line(f"[{entry['type']}] ", cut(_json(entry["data"]), full), "dim")


def _line(label: str, body: str, style: str) -> Text:
    text = Text("    ")
    text.append(label, style=style or None)
    text.append(body.replace("\n", "\n      "))
    return text


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
