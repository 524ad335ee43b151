"""The text editor tool on the workspace bucket (moto): round trips, Anthropic's documented errors,
refused paths, binary and oversized files, racing edits, and a write retried after a crash."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from jada import aws
from jada.workspace.text import MAX_FILE_BYTES
from jada_tools.fakes.model_server import reply, scripted, text, tool_use

from tests.functional.agent.conftest import Harness, tool_results
from tests.functional.sites.conftest import FILES, SITE, Crash, Direct, World, agent_for, crash_after

EDITOR = "str_replace_based_edit_tool"
INDEX = f"/sites/{SITE}/index.html"


def edit(direct: Direct, tool_use_id: str | None = None, **tool_input: Any) -> Any:
    return direct(EDITOR, tool_input, tool_use_id)


@pytest.fixture
def imported(world: World) -> World:
    world.import_site()
    return world


# --- round trips ----------------------------------------------------------------------------------
def test_view_a_file_with_line_numbers_and_a_range(direct: Direct, imported: World) -> None:
    shown = edit(direct, command="view", path=INDEX)
    assert not shown.is_error
    assert shown.content == "1: <html>\n2: <h1>Sail Jada</h1>\n3: <p>Charters in the Med</p>\n4: </html>"
    assert edit(direct, command="view", path=INDEX, view_range=[2, -1]).content.startswith(
        "2: <h1>Sail Jada</h1>"
    )


def test_view_a_folder_lists_two_levels_with_sizes(direct: Direct, imported: World) -> None:
    imported.put(f"sites/{SITE}/blog/2026/may/post.html", "<p>deep</p>")
    shown = edit(direct, command="view", path=f"/sites/{SITE}/").content.splitlines()
    assert shown[0] == f"Files and folders up to 2 levels deep in /sites/{SITE}/:"
    assert f"/sites/{SITE}/index.html ({len(FILES['index.html'])} bytes)" in shown
    assert f"/sites/{SITE}/css/" in shown
    assert f"/sites/{SITE}/css/site.css (22 bytes)" in shown
    assert f"/sites/{SITE}/blog/2026/" in shown  # deeper levels fold into their folder
    assert not any("may" in line for line in shown)
    root = edit(direct, command="view", path="/").content
    assert "/notes/" in root
    assert "/sites/" in root
    assert f"/sites/{SITE}/" in edit(direct, command="view", path="/sites").content


def test_str_replace_edits_the_one_match_and_shows_the_lines_around_it(
    direct: Direct, imported: World
) -> None:
    done = edit(direct, command="str_replace", path=INDEX, old_str="Sail Jada", new_str="Sail with Jada")
    assert not done.is_error, done.content
    assert "2: <h1>Sail with Jada</h1>" in done.content
    assert imported.read(INDEX) == "<html>\n<h1>Sail with Jada</h1>\n<p>Charters in the Med</p>\n</html>\n"


def test_whitespace_in_old_and_new_text_is_kept_exactly(direct: Direct, imported: World) -> None:
    imported.put(INDEX, "<ul>\n  <li>one</li>\n    <li>two</li>\n</ul>\n")
    done = edit(
        direct, command="str_replace", path=INDEX, old_str="\n    <li>two</li>", new_str="\n  <li>two</li>\n"
    )
    assert not done.is_error, done.content
    assert imported.read(INDEX) == "<ul>\n  <li>one</li>\n  <li>two</li>\n\n</ul>\n"


def test_create_then_insert_then_view(direct: Direct, imported: World) -> None:
    created = edit(direct, command="create", path=f"/sites/{SITE}/faq.html", file_text="<h1>FAQ</h1>\n")
    assert created.content == f"File created successfully at: /sites/{SITE}/faq.html"
    inserted = edit(
        direct, command="insert", path=f"/sites/{SITE}/faq.html", insert_line=0, insert_text="<html>"
    )
    assert not inserted.is_error, inserted.content
    edit(direct, command="insert", path=f"/sites/{SITE}/faq.html", insert_line=2, insert_text="</html>\n")
    assert imported.read(f"/sites/{SITE}/faq.html") == "<html>\n<h1>FAQ</h1>\n</html>\n"
    head = boto3.client("s3").head_object(Bucket=imported.workspace_bucket, Key=f"sites/{SITE}/faq.html")
    assert head["ContentType"] == "text/html; charset=utf-8"
    assert len(head["Metadata"]["sha256"]) == 64


def test_notes_are_writable_for_the_agent(direct: Direct, world: World) -> None:
    assert not edit(direct, command="create", path="/notes/plan.md", file_text="- hero copy\n").is_error
    assert world.read("/notes/plan.md") == "- hero copy\n"


# --- documented errors ----------------------------------------------------------------------------
def test_no_match_and_several_matches_use_anthropics_errors(direct: Direct, imported: World) -> None:
    missing = edit(direct, command="str_replace", path=INDEX, old_str="<h2>", new_str="x")
    assert (missing.is_error, missing.content) == (
        True, "Error: No match found for replacement. Please check your text and try again.",
    )  # fmt: skip
    several = edit(direct, command="str_replace", path=INDEX, old_str="html>", new_str="x")
    assert several.is_error
    assert several.content.startswith(
        "Error: Found 2 matches for replacement text. Please provide more context"
    )
    assert imported.read(INDEX).startswith("<html>\n<h1>Sail Jada</h1>")  # nothing changed


def test_file_not_found_and_create_over_an_existing_file(direct: Direct, imported: World) -> None:
    missing = edit(direct, command="view", path=f"/sites/{SITE}/nope.html")
    assert (missing.is_error, missing.content) == (True, f"Error: File not found: /sites/{SITE}/nope.html")
    again = edit(direct, command="create", path=INDEX, file_text="<p>overwritten?</p>")
    assert again.is_error
    assert again.content.startswith(f"Error: File already exists at: {INDEX}. Cannot overwrite files")
    assert "overwritten" not in imported.read(INDEX)


def test_bad_line_numbers_and_missing_fields_are_errors(direct: Direct, imported: World) -> None:
    assert (
        "Invalid insert_line 9"
        in edit(direct, command="insert", path=INDEX, insert_line=9, insert_text="x").content
    )
    assert "Invalid view_range" in edit(direct, command="view", path=INDEX, view_range=[7, 9]).content
    assert "needs old_str" in edit(direct, command="str_replace", path=INDEX).content
    assert "needs file_text" in edit(direct, command="create", path=f"/sites/{SITE}/x.html").content
    undo = edit(direct, command="undo_edit", path=INDEX)
    assert undo.is_error
    assert undo.content.startswith("Invalid input for str_replace_based_edit_tool: command")


@pytest.mark.parametrize(
    "path",
    [
        f"/sites/{SITE}/../../etc/passwd",
        f"/sites/{SITE}/%2e%2e/%2e%2e/checkpoints/secret",
        "/etc/passwd",
        "/checkpoints/task/s0001.json",
        f"sites/{SITE}/index.html",
        f"/sites/{SITE}\\..\\index.html",
        f"/sites/{SITE}/a\x00b.html",
        f"/sites/{SITE}/latest.rclonelink",
    ],
)
def test_paths_that_leave_the_workspace_are_refused_and_nothing_is_touched(
    direct: Direct, imported: World, path: str
) -> None:
    imported.record_calls(aws.client("s3"))
    for command in ({"command": "view"}, {"command": "create", "file_text": "x"}):
        result = edit(direct, path=path, **command)
        assert result.is_error
        assert result.content.startswith("Error: path refused:")
    assert imported.calls == []  # refused before any call to S3


def test_a_symlink_like_object_is_not_followed(direct: Direct, imported: World) -> None:
    # s3fs stores a symbolic link as an object whose mode says S_IFLNK (0o120777 = 41471)
    boto3.client("s3").put_object(
        Bucket=imported.workspace_bucket,
        Key=f"sites/{SITE}/link.html",
        Body=b"/etc/passwd",
        Metadata={"mode": "41471"},
    )
    result = edit(direct, command="view", path=f"/sites/{SITE}/link.html")
    assert result.is_error
    assert "symbolic link" in result.content


def test_writes_outside_configured_sites_get_permission_denied(direct: Direct, imported: World) -> None:
    for path in ("/sites/other.com/index.html", f"/sites/{SITE}", "/index.html".replace("/", "/sites/", 1)):
        result = edit(direct, command="create", path=path, file_text="x")
        assert result.is_error
        assert result.content.startswith("Error: Permission denied. Cannot write to file.")
    assert (
        "not a configured site (configured: sailjada.com)"
        in edit(direct, command="create", path="/sites/other.com/index.html", file_text="x").content
    )
    listed = boto3.client("s3").list_objects_v2(Bucket=imported.workspace_bucket, Prefix="sites/other.com/")
    assert "Contents" not in listed


def test_binary_and_oversized_files_are_refused(direct: Direct, imported: World) -> None:
    binary = edit(direct, command="view", path=f"/sites/{SITE}/img/logo.png")
    assert binary.is_error
    assert "is a binary file (text/html" in binary.content or "is a binary file (" in binary.content
    replaced = edit(
        direct, command="str_replace", path=f"/sites/{SITE}/img/logo.png", old_str="PNG", new_str="x"
    )
    assert replaced.is_error
    assert "binary" in replaced.content
    big = "x" * (MAX_FILE_BYTES + 1)
    imported.put(f"sites/{SITE}/big.html", big)
    for result in (
        edit(direct, command="view", path=f"/sites/{SITE}/big.html"),
        edit(direct, command="create", path=f"/sites/{SITE}/big2.html", file_text=big),
    ):
        assert result.is_error
        assert "the editor handles files up to 1,000,000 bytes" in result.content


# --- concurrency and retries ----------------------------------------------------------------------
def test_two_racing_edits_of_one_file_lose_no_update(direct: Direct, imported: World) -> None:
    # Given another session's edit lands between this call's read and its write
    s3 = aws.client("s3")
    raced = [False]

    def other_session_writes_first(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key", "").endswith("index.html") and not raced[0]:
            raced[0] = True
            other = edit(
                direct,
                command="str_replace",
                path=INDEX,
                old_str="Charters in the Med",
                new_str="Med charters",
            )
            assert not other.is_error, other.content

    s3.meta.events.register("before-parameter-build.s3.PutObject", other_session_writes_first)
    # When this session replaces the title
    mine = edit(direct, command="str_replace", path=INDEX, old_str="Sail Jada", new_str="Sail with Jada")
    # Then its conditional write failed, it re-read, and both edits are in the file
    assert not mine.is_error, mine.content
    assert imported.read(INDEX) == "<html>\n<h1>Sail with Jada</h1>\n<p>Med charters</p>\n</html>\n"


def test_an_insert_that_loses_a_race_asks_to_view_again(direct: Direct, imported: World) -> None:
    s3 = aws.client("s3")
    raced = [False]

    def other_session_writes_first(params: dict[str, Any], **_: Any) -> None:
        if not raced[0]:
            raced[0] = True
            edit(
                direct,
                command="str_replace",
                path=INDEX,
                old_str="<html>\n",
                new_str="<!doctype html>\n<html>\n",
            )

    s3.meta.events.register("before-parameter-build.s3.PutObject", other_session_writes_first)
    lost = edit(direct, command="insert", path=INDEX, insert_line=1, insert_text="<title>Jada</title>")
    assert lost.is_error
    assert "View it again" in lost.content
    assert "<title>" not in imported.read(INDEX)
    assert imported.read(INDEX).startswith("<!doctype html>\n<html>")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ({"command": "str_replace", "path": INDEX, "old_str": "Sail Jada", "new_str": "Sail with Jada"},
         "<h1>Sail with Jada</h1>"),
        ({"command": "insert", "path": INDEX, "insert_line": 1, "insert_text": "<title>Jada</title>"},
         "<html>\n<title>Jada</title>\n<h1>"),
        ({"command": "create", "path": f"/sites/{SITE}/faq.html", "file_text": "<h1>FAQ</h1>"}, None),
    ],
)  # fmt: skip
def test_a_write_retried_after_a_crash_is_applied_once(
    direct: Direct, imported: World, command: dict[str, Any], expected: str | None
) -> None:
    # Given the write reached S3 and then the Lambda died (the result was never stored)
    calls = crash_after(aws.client("s3"), "PutObject")
    with pytest.raises(Crash):
        edit(direct, "toolu_retried", **command)
    # When the retried batch runs the same call (same tool_use id)
    again = edit(direct, "toolu_retried", **command)
    # Then it recognizes its own write: success, applied once, no second write
    assert not again.is_error, again.content
    assert calls() == 1
    if expected:
        content = imported.read(INDEX)
        assert content.count(expected) == 1
        assert content.count("Jada") == (2 if command["command"] == "insert" else 1)


# --- in a real turn -------------------------------------------------------------------------------
def test_in_a_turn_the_model_gets_the_editor_by_type_and_its_results(
    harness: Harness, imported: World
) -> None:
    task = harness.task()
    harness.script(
        scripted(
            reply(tool_use(EDITOR, {"command": "view", "path": INDEX, "view_range": [2, 2]}, "toolu_v")),
            reply(
                tool_use(
                    EDITOR,
                    {
                        "command": "str_replace",
                        "path": INDEX,
                        "old_str": "Sail Jada",
                        "new_str": "Sail with Jada",
                    },
                    "toolu_r",
                )
            ),
            reply(text("Title changed.")),
        )
    )
    result = harness.run(task, agent=agent_for(harness, imported, turns_per_batch=5))
    assert result.status == "completed"
    first = harness.server.requests[0]
    editor = next(t for t in first["tools"] if t.get("name") == EDITOR)
    assert {k: v for k, v in editor.items() if k != "cache_control"} == {
        "type": "text_editor_20250728", "name": EDITOR, "max_characters": 20000,
    }  # fmt: skip
    assert "str_replace_based_edit_tool: files of the workspace" in first["system"][0]["text"]
    assert tool_results(harness.server.requests[1]) == [
        {"type": "tool_result", "tool_use_id": "toolu_v", "content": "2: <h1>Sail Jada</h1>"}
    ]
    [edited] = tool_results(harness.server.requests[2])
    assert "2: <h1>Sail with Jada</h1>" in edited["content"]
    assert "<h1>Sail with Jada</h1>" in imported.read(INDEX)
    # every turn's checkpoint holds only what it appended (a few hundred bytes with the editor)
    assert all(written < 3000 for written in result.checkpoint_bytes)


def test_a_batch_retried_after_a_crash_following_the_write_edits_once(
    harness: Harness, imported: World
) -> None:
    task = harness.task()
    edit_call = {"command": "str_replace", "path": INDEX, "old_str": "Sail Jada", "new_str": "Sail with Jada"}
    harness.script(scripted(reply(tool_use(EDITOR, edit_call, "toolu_e")), reply(text("done"))))
    agent = agent_for(harness, imported, turns_per_batch=5)
    writes = crash_after(aws.client("s3"), "PutObject")
    with pytest.raises(Crash):
        harness.run(task, agent=agent)
    result = harness.run(task, agent=agent)
    assert result.status == "completed"
    assert writes() == 1
    [edited] = tool_results(harness.server.requests[1])
    assert not edited.get("is_error"), edited
    assert imported.read(INDEX).count("Sail with Jada") == 1
