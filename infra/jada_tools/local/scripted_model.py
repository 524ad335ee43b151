"""The offline model: a deterministic responder for the loopback Messages API fake.

It reads the task from the conversation and plays a part chosen by keywords of the task's text:
- "deploy" / "publish" and the name of a site deploy_site may publish: edits the page and deploys
  it (scripted_site.py);
- "search" with the web_search server tool enabled: one search (canned results), then completes;
- the name of a configured MCP server: one call of its first allowed tool, then completes;
- "approval" / "sign-off" / "decision": asks the operator (block_task); once answered, completes;
- "follow-up" / "downstream": queues a downstream task (create_task), then completes;
- "multi-session" / "long": drafts long sections (replies cut at the output limit, so the session
  goes on) until the turn limit, saves a handoff note when asked, and completes in a later session
  after reading that note;
- anything else: complete_task at once.
"""

from __future__ import annotations

import re
from typing import Any

from jada.agent.prompts import RESUME_MARK, handoff_requested

from jada_tools.fakes.model_server import (
    Response,
    count_tokens,
    mcp_tool_result,
    mcp_tool_use,
    reply,
    server_tool_use,
    text,
    tool_use,
    usage,
    web_search_result,
)
from jada_tools.local.scripted_site import next_call, site_task

BLOCK_WORDS = ("approval", "sign-off", "decision")
SPAWN_WORDS = ("follow-up", "downstream")
LONG_WORDS = ("multi-session", "long")
SEARCH_WORDS = ("search",)
CHILD_PREFIX = "check:"
#: what the offline web search finds, whatever the query
SEARCH_PAGES = (
    ("Western Mediterranean marine forecast", "https://weather.example.org/med/west"),
    ("Port notices: Balearic Islands", "https://ports.example.org/baleares/notices"),
)


def _texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    out: list[str] = []
    for block in content or []:
        if block.get("type") == "text":
            out.append(block.get("text", ""))
        elif block.get("type") == "tool_result":
            out.extend(_texts(block.get("content")))
    return out


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(w)}\b", text) for w in words)


def _title(opening: str) -> str:
    for line in opening.splitlines():
        if line.startswith("Task: "):
            return line.removeprefix("Task: ").strip()
    return "the task"


#: what follows the task in a resumed session's opening
_AFTER_TASK = (
    "\n\nHandoff note from your previous session:",
    "\n\nRecent history from earlier sessions",
    "\n\nYou asked the operator:",
    "\n\nThe operator answered:",
    "\n\nContinue from where the work stopped.",
)


def _task_text(opening: str) -> str:
    """The task's title and prompt, without what a resumed session's opening adds after them."""
    start = opening.find("Task: ")
    if start < 0:
        return opening
    ends = [i for i in (opening.find(mark, start) for mark in _AFTER_TASK) if i >= 0]
    return opening[start : min(ends, default=len(opening))]


def respond(request: dict[str, Any]) -> Response:
    messages = request.get("messages", [])
    user = [m for m in messages if m.get("role") == "user"]
    opening = "\n".join(_texts(user[0]["content"])) if user else ""
    turn = sum(1 for m in messages if m.get("role") == "assistant") + 1
    title = _title(opening)
    words = opening.lower()
    resumed = RESUME_MARK in opening
    if title.startswith(CHILD_PREFIX):  # downstream tasks are plain work: no chains of them
        words = ""
    size = usage(input_tokens=count_tokens(request), output_tokens=40 + 5 * turn)

    def answer(*blocks: dict[str, Any], stop_reason: str | None = None) -> Response:
        return reply(*blocks, usage_block=size, stop_reason=stop_reason)

    if user and handoff_requested([user[-1]]):
        note = f"Handoff for {title}: sections 1-{turn} drafted and checked. Next: finish the last sections."
        return answer(text("Saving my progress."), tool_use("save_progress", {"note": note}))
    task_text = _task_text(opening)
    site = site_task(request, task_text) if words else None
    if site is not None:
        name, tool_input = next_call(site, title, task_text, messages[1:])
        return answer(tool_use(name, tool_input))
    hosted = _hosted(request, title, words)
    if hosted is not None:
        blocks, summary, searches = hosted
        spent = usage(
            input_tokens=count_tokens(request), output_tokens=40 + 5 * turn, web_search_requests=searches
        )
        return reply(*blocks, tool_use("complete_task", {"summary": summary}), usage_block=spent)
    if _has(words, BLOCK_WORDS):
        if "The operator answered" in opening:
            return answer(
                tool_use("complete_task", {"summary": f"{title}: done with the operator's answer."})
            )
        reason = f"{title}: I need the operator's approval before going on. Which option should I take?"
        return answer(tool_use("block_task", {"reason": reason}))
    if _has(words, SPAWN_WORDS) and not resumed:
        if turn == 1:
            child = {
                "title": f"{CHILD_PREFIX} {title}"[:120],
                "prompt": f"Review the result of '{title}' and report anything missing.",
            }
            return answer(text("Queuing the downstream check."), tool_use("create_task", child))
        return answer(tool_use("complete_task", {"summary": f"{title}: done; a check task is queued."}))
    if _has(words, LONG_WORDS):
        if resumed and "Handoff note" in opening and turn >= 3:
            summary = f"{title}: finished from the handoff note in a later session."
            return answer(tool_use("complete_task", {"summary": summary}))
        return answer(text(f"{title}, section {turn}: ..."), stop_reason="max_tokens")
    return answer(tool_use("complete_task", {"summary": f"{title}: done."}))


def _hosted(request: dict[str, Any], title: str, words: str) -> tuple[list[dict[str, Any]], str, int] | None:
    """A web search or an MCP call the API ran for this reply: (its blocks, the summary, searches)."""
    tools = request.get("tools") or []
    if _has(words, SEARCH_WORDS) and any(str(t.get("type", "")).startswith("web_search_") for t in tools):
        use = server_tool_use("web_search", {"query": title})
        found = "; ".join(name for name, _ in SEARCH_PAGES)
        blocks = [use, web_search_result(use["id"], *SEARCH_PAGES), text(f"The search found: {found}.")]
        return blocks, f"{title}: searched the web; found {found}.", 1
    for toolset in (t for t in tools if t.get("type") == "mcp_toolset"):
        server = str(toolset.get("mcp_server_name", ""))
        if server and _has(words, (server.lower(),)):
            allowed = [name for name, c in (toolset.get("configs") or {}).items() if c.get("enabled", True)]
            tool = allowed[0] if allowed else "run"
            use = mcp_tool_use(server, tool, {"request": title})
            result = f"{server}.{tool}: done for '{title}'."
            return [use, mcp_tool_result(use["id"], result)], f"{title}: {result}", 0
    return None
