"""The offline model's site work: view, str_replace, deploy_site, complete_task, from the request."""

from __future__ import annotations

from typing import Any

from jada.agent.prompts import RESUME_MARK, system_text
from jada_tools.local.scripted_model import respond

GUIDANCE = (
    "deploy_site: publish /sites/<site>/ to the live site (only changed files, then a CloudFront "
    "invalidation): charter.sailjada.com (operator approval), sailjada.com (auto). A site needing "
    "approval ends the session until the operator answers.",
)
TOOLS = [
    {"name": "complete_task"},
    {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
    {"name": "deploy_site"},
]
PAGE = '1: <html><body>\n2:   <h1 class="hero">Welcome aboard</h1>\n3: </body></html>'
HERO = "Task: hero\n\nChange the hero title of sailjada.com to 'Sail with Jada' and deploy the site."


def request(opening: str, *later: dict[str, Any], tools: list[dict[str, Any]] = TOOLS) -> dict[str, Any]:
    return {
        "system": [{"type": "text", "text": system_text(GUIDANCE)}],
        "tools": tools,
        "messages": [{"role": "user", "content": [{"type": "text", "text": opening}]}, *later],
    }


def called(name: str, args: dict[str, Any], result: str, *, is_error: bool = False) -> list[dict[str, Any]]:
    use = {"type": "tool_use", "id": f"toolu_{len(result)}", "name": name, "input": args}
    back = {"type": "tool_result", "tool_use_id": use["id"], "content": result, "is_error": is_error}
    return [{"role": "assistant", "content": [use]}, {"role": "user", "content": [back]}]


def call(req: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    status, _, body = respond(req)
    assert status == 200
    (use,) = [b for b in body["content"] if b["type"] == "tool_use"]
    return use["name"], use["input"]


def test_views_edits_deploys_then_completes() -> None:
    view = {"command": "view", "path": "/sites/sailjada.com/index.html"}
    assert call(request(HERO)) == ("str_replace_based_edit_tool", view)
    after_view = called("str_replace_based_edit_tool", view, PAGE)
    name, edit = call(request(HERO, *after_view))
    assert (name, edit["command"]) == ("str_replace_based_edit_tool", "str_replace")
    assert edit["old_str"] == '<h1 class="hero">Welcome aboard</h1>'
    assert edit["new_str"] == '<h1 class="hero">Sail with Jada</h1>'
    after_edit = [*after_view, *called("str_replace_based_edit_tool", edit, "The file was edited.")]
    assert call(request(HERO, *after_edit)) == ("deploy_site", {"site": "sailjada.com"})
    deployed = "Deployed sailjada.com (deploy d1): uploaded 1 file(s) (52 bytes): index.html; deleted 0."
    done = [*after_edit, *called("deploy_site", {"site": "sailjada.com"}, deployed)]
    assert call(request(HERO, *done)) == ("complete_task", {"summary": f"hero: {deployed}"})


def test_a_page_that_already_says_it_is_deployed_without_an_edit() -> None:
    """A resumed session after the operator's approval: the edit is in the workspace already."""
    opening = (
        f"{RESUME_MARK}\n\nYou are continuing.\n\nTask: booking\n\nChange the title of "
        "charter.sailjada.com's booking.html to 'Charter Jada' and publish it.\n\nYou asked the operator: "
        "deploy_site charter.sailjada.com waits for your approval of diff 3f9a ... ~ index.html (1 -> 2 "
        "bytes).\n\nThe operator answered:\napprove"
    )
    name, view = call(request(opening))
    assert view == {"command": "view", "path": "/sites/charter.sailjada.com/booking.html"}
    page = "1: <h1>Charter Jada</h1>"
    after_view = called(name, view, page)
    assert call(request(opening, *after_view)) == ("deploy_site", {"site": "charter.sailjada.com"})


def test_a_failed_step_blocks_with_the_error() -> None:
    view = {"command": "view", "path": "/sites/sailjada.com/index.html"}
    failed = called("str_replace_based_edit_tool", view, "Error: File not found: /sites/...", is_error=True)
    name, args = call(request(HERO, *failed))
    assert name == "block_task"
    assert "File not found" in args["reason"]


def test_no_quoted_text_or_no_heading_asks_the_operator() -> None:
    vague = "Task: hero\n\nMake the hero title of sailjada.com nicer and deploy."
    view = {"command": "view", "path": "/sites/sailjada.com/index.html"}
    assert call(request(vague, *called("str_replace_based_edit_tool", view, PAGE)))[0] == "block_task"
    flat = called("str_replace_based_edit_tool", view, "1: <p>no heading</p>")
    name, args = call(request(HERO, *flat))
    assert name == "block_task"
    assert "<h1>" in args["reason"]


def test_not_a_site_task_without_deploy_site_or_a_configured_site() -> None:
    assert call(request(HERO, tools=[{"name": "complete_task"}]))[0] == "complete_task"
    other = "Task: hero\n\nChange the hero title of example.org to 'X' and deploy it."
    assert call(request(other))[0] == "complete_task"
    no_deploy = "Task: hero\n\nRead sailjada.com's hero title."
    assert call(request(no_deploy))[0] == "complete_task"
