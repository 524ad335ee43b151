"""The offline model's site work: a task that names a configured site and asks to deploy it.

"Change the hero title of sailjada.com to 'Sail with Jada' and deploy" plays, one model call each:
1. `view` the page (`/sites/<site>/index.html`, or the `.html` file the task names);
2. `str_replace` of the page's first `<h1>...</h1>` with one whose text is the task's first quoted
   text (skipped when the page already says it: a resumed session after the operator's approval);
3. `deploy_site {site}`: published, or, for a site that waits for the operator, the session ends
   blocked here and the resumed session starts again at 1;
4. `complete_task` naming the deploy (`block_task` with the error when a step fails).

The configured sites come from the request itself (deploy_site's line in the system prompt), the
step from the last tool call of this session and its result.
"""

from __future__ import annotations

import re
from typing import Any

EDITOR = "str_replace_based_edit_tool"
DEPLOY = "deploy_site"
SITE_WORDS = ("deploy", "publish")
#: `sailjada.com (auto)` / `sailjada.com (operator approval)` in deploy_site's guidance line
_LISTED = re.compile(r"([a-z0-9][a-z0-9.-]*[a-z0-9]) \((?:auto|operator approval)\)")
#: quoted text; an apostrophe inside a word (charter.sailjada.com's) opens no quote
_QUOTED = re.compile(r"(?<!\w)'([^'\n]{1,200})'(?!\w)|\"([^\"\n]{1,200})\"|\u2018([^\u2019\n]{1,200})\u2019")
_PAGE = re.compile(r"(?<![\w.-])([\w-]+(?:/[\w-]+)*\.html?)\b")
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.IGNORECASE)
_NUMBERED = re.compile(r"^\s*\d+: ?", re.MULTILINE)

Call = tuple[str, dict[str, Any]]


def _system(request: dict[str, Any]) -> str:
    system = request.get("system") or ""
    if isinstance(system, str):
        return system
    return "\n".join(str(b.get("text", "")) for b in system if isinstance(b, dict))


def configured_sites(request: dict[str, Any]) -> list[str]:
    """The sites deploy_site may publish, as the request's system prompt lists them."""
    if not any(t.get("name") == DEPLOY for t in request.get("tools") or []):
        return []
    line = next((ln for ln in _system(request).splitlines() if ln.lstrip("- ").startswith(f"{DEPLOY}:")), "")
    return _LISTED.findall(line)


def site_task(request: dict[str, Any], task_text: str) -> str | None:
    """The configured site a deploy task names (whole word), or None: not a site task."""
    words = task_text.lower()
    if not any(re.search(rf"\b{w}\b", words) for w in SITE_WORDS):
        return None
    for site in configured_sites(request):
        if re.search(rf"(?<![\w.-]){re.escape(site)}(?![\w-])", words):
            return site
    return None


def _wanted(task_text: str) -> str | None:
    match = _QUOTED.search(task_text)
    return next((g for g in match.groups() if g), None) if match else None


def _page(site: str, task_text: str) -> str:
    found = [p for p in _PAGE.findall(task_text) if p.lower() != site]
    return f"/sites/{site}/{found[0] if found else 'index.html'}"


def _last_call(messages: list[dict[str, Any]]) -> tuple[Call | None, str, bool]:
    """The last tool call of this session (name, input), its result's text and whether it failed."""
    calls = [m for m in messages if m.get("role") == "assistant"]
    if not calls or not isinstance(calls[-1].get("content"), list):
        return None, "", False
    uses = [b for b in calls[-1]["content"] if b.get("type") == "tool_use"]
    if not uses:
        return None, "", False
    use = uses[-1]
    result: dict[str, Any] = next(
        (
            b
            for m in messages[messages.index(calls[-1]) + 1 :]
            if isinstance(m.get("content"), list)
            for b in m["content"]
            if b.get("type") == "tool_result" and b.get("tool_use_id") == use.get("id")
        ),
        {},
    )
    content = result.get("content")
    text = content if isinstance(content, str) else "\n".join(str(b.get("text", "")) for b in content or [])
    return (str(use.get("name")), dict(use.get("input") or {})), text, bool(result.get("is_error"))


def next_call(site: str, title: str, task_text: str, messages: list[dict[str, Any]]) -> Call:
    """The site task's next tool call, from the last one of this session and its result."""
    page = _page(site, task_text)
    last, result, failed = _last_call(messages)
    if last is None:
        return EDITOR, {"command": "view", "path": page}
    name, given = last
    if failed:
        return "block_task", {"reason": f"{title}: {name} failed and I cannot go on: {result[:400]}"}
    if name == EDITOR and given.get("command") == "view":
        return _edit(site, title, task_text, page, result)
    if name == EDITOR:
        return DEPLOY, {"site": site}
    if name == DEPLOY:
        return "complete_task", {"summary": f"{title}: {result.splitlines()[0] if result else 'deployed'}"}
    return EDITOR, {"command": "view", "path": page}


def _edit(site: str, title: str, task_text: str, page: str, viewed: str) -> Call:
    wanted = _wanted(task_text)
    if wanted is None:
        return "block_task", {"reason": f"{title}: what should the new text of {page} say? Quote it."}
    source = _NUMBERED.sub("", viewed)
    heading = _H1.search(source)
    if heading is None:
        return "block_task", {"reason": f"{title}: {page} has no <h1> to change; which element is meant?"}
    if heading.group(1).strip() == wanted:
        return DEPLOY, {"site": site}
    old = heading.group(0)
    start, end = heading.span(1)
    new = old[: start - heading.start()] + wanted + old[end - heading.start() :]
    return EDITOR, {"command": "str_replace", "path": page, "old_str": old, "new_str": new}
