"""Workspace paths: what the agent may name and where it may write (pure)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jada.errors import WorkspacePathRefused
from jada.workspace.paths import parse, write_refusal

SITES = {"sailjada.com", "86from.com"}


@pytest.mark.parametrize(
    ("path", "key", "site"),
    [
        ("/sites/sailjada.com/index.html", "sites/sailjada.com/index.html", "sailjada.com"),
        ("/sites/sailjada.com/css/", "sites/sailjada.com/css", "sailjada.com"),
        ("  /notes/plan.md ", "notes/plan.md", None),
        ("/", "", None),
        ("/sites", "sites", None),
    ],
)
def test_paths_map_to_keys(path: str, key: str, site: str | None) -> None:
    parsed = parse(path)
    assert (parsed.key, parsed.site) == (key, site)
    assert parsed.shown == "/" + key


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/sites/sailjada.com/../../etc/passwd", "'..' segment"),
        ("/sites/..", "'..' segment"),
        ("/sites/./sailjada.com/index.html", "'.' segment"),
        ("/sites/sailjada.com/%2e%2e/%2e%2e/secret", "percent-encoded"),
        ("/sites/sailjada.com/%2E%2E%2Fx", "percent-encoded"),
        ("/sites/sailjada.com\\..\\..\\x", "backslash"),
        ("/etc/passwd", "outside the workspace"),
        ("/tmp/x", "outside the workspace"),
        ("/workspace/sites/a.html", "outside the workspace"),
        ("sites/sailjada.com/index.html", "relative"),
        ("../notes/x", "relative"),
        ("/sites/sailjada.com/a\x00.html", "control character"),
        ("/sites/sailjada.com/a\n.html", "control character"),
        ("/sites//index.html", "empty segment"),
        ("/sites/sailjada.com/\uff0e\uff0e/x", "segment"),  # fullwidth dots read as '..'
        ("/sites/sailjada.com/a\uff0fb", "separator"),  # a fullwidth solidus
        ("/sites/sailjada.com/link.rclonelink", "symbolic link"),
        ("", "empty"),
        ("/notes/" + "x" * 1100, "limit is 1024"),
    ],
)
def test_paths_that_could_leave_the_workspace_are_refused_saying_why(path: str, why: str) -> None:
    with pytest.raises(WorkspacePathRefused, match=why):
        parse(path)


@given(st.text(max_size=60))
def test_no_accepted_path_has_a_dot_segment_or_another_root(text: str) -> None:
    try:
        parsed = parse("/" + text)
    except WorkspacePathRefused:
        return
    assert all(part not in {".", "..", ""} for part in parsed.parts)
    assert not parsed.parts or parsed.parts[0] in {"sites", "notes"}
    assert not re.search("%[0-9A-Fa-f]{2}", parsed.key)
    assert "\\" not in parsed.key


@pytest.mark.parametrize(
    "path", ["/sites/sailjada.com/index.html", "/sites/86from.com/a/b/c.css", "/notes/todo.md", "/notes/a/b"]
)
def test_files_of_configured_sites_and_notes_are_writable(path: str) -> None:
    assert write_refusal(parse(path), SITES) is None


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/sites/other.com/index.html", "not a configured site (configured: 86from.com, sailjada.com)"),
        ("/sites/sailjada.com", "not a file inside a configured site's folder"),
        ("/sites/index.html", "not a configured site"),
        ("/notes", "not a file inside"),
        ("/", "not a file inside"),
    ],
)
def test_writes_elsewhere_are_refused_saying_why(path: str, why: str) -> None:
    refusal = write_refusal(parse(path), SITES)
    assert refusal is not None
    assert why in refusal
