"""The editor's text operations (pure), with Anthropic's documented error wording."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jada.errors import EditRefused
from jada.workspace import text

PAGE = "<html>\n<h1>Sail Jada</h1>\n<p>Charters</p>\n</html>\n"


def test_view_numbers_lines_like_anthropics_examples() -> None:
    assert text.view(PAGE) == "1: <html>\n2: <h1>Sail Jada</h1>\n3: <p>Charters</p>\n4: </html>"


@pytest.mark.parametrize(
    ("view_range", "expected"),
    [([2, 3], "2: <h1>Sail Jada</h1>\n3: <p>Charters</p>"), ([3, -1], "3: <p>Charters</p>\n4: </html>"),
     ([4, 99], "4: </html>"), ([1, 1], "1: <html>")],
)  # fmt: skip
def test_view_range_is_one_based_and_minus_one_reads_to_the_end(view_range: list[int], expected: str) -> None:
    assert text.view(PAGE, view_range) == expected


@pytest.mark.parametrize(
    ("view_range", "why"),
    [([0, 2], "start must be between 1 and 4"), ([5, -1], "between 1 and 4"), ([3, 2], "end must be -1"),
     ([1], "two line numbers")],
)  # fmt: skip
def test_a_bad_view_range_is_refused(view_range: list[int], why: str) -> None:
    with pytest.raises(EditRefused, match=why):
        text.view(PAGE, view_range)


def test_a_long_view_is_cut_at_max_characters_and_says_how_to_see_the_rest() -> None:
    long = "".join(f"line {i}\n" for i in range(1, 2001))
    shown = text.view(long, max_characters=100)
    body, note = shown.rsplit("\n", 1)
    assert len(body) == 100
    assert body.startswith("1: line 1\n2: line 2")
    assert "cut at 100 characters" in note
    assert "of 2000" in note
    assert "view_range" in note


def test_an_empty_file_is_shown_as_empty() -> None:
    assert text.view("") == "(empty file)"


def test_replace_once_replaces_the_one_match_and_says_where() -> None:
    updated, line = text.replace_once(PAGE, "<h1>Sail Jada</h1>", "<h1>Sail with Jada</h1>")
    assert updated == PAGE.replace("Sail Jada", "Sail with Jada")
    assert line == 2


def test_no_match_uses_anthropics_wording() -> None:
    with pytest.raises(EditRefused) as err:
        text.replace_once(PAGE, "<h2>", "x")
    assert err.value.message == "Error: No match found for replacement. Please check your text and try again."


def test_several_matches_use_anthropics_wording_with_the_count() -> None:
    with pytest.raises(EditRefused) as err:
        text.replace_once(PAGE, "html>", "x")
    assert err.value.message == (
        "Error: Found 2 matches for replacement text. Please provide more context to make a unique match."
    )


def test_an_empty_old_str_is_refused() -> None:
    with pytest.raises(EditRefused, match="old_str is empty"):
        text.replace_once(PAGE, "", "x")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (0, "<!doctype html>\n<html>\n<h1>Sail Jada</h1>\n<p>Charters</p>\n</html>\n"),
        (2, "<html>\n<h1>Sail Jada</h1>\n<!doctype html>\n<p>Charters</p>\n</html>\n"),
        (4, "<html>\n<h1>Sail Jada</h1>\n<p>Charters</p>\n</html>\n<!doctype html>\n"),
    ],
)
def test_insert_goes_after_the_line_and_zero_is_before_the_first(line: int, expected: str) -> None:
    assert text.insert_after(PAGE, line, "<!doctype html>") == expected
    # a trailing newline in the inserted text does not add a blank line
    assert text.insert_after(PAGE, line, "<!doctype html>\n") == expected


def test_insert_into_an_empty_file_and_without_a_final_newline() -> None:
    assert text.insert_after("", 0, "a\nb") == "a\nb\n"
    assert text.insert_after("x", 1, "y") == "x\ny"


@pytest.mark.parametrize("line", [-1, 5])
def test_insert_outside_the_file_is_refused(line: int) -> None:
    with pytest.raises(EditRefused, match="between 0 and 4"):
        text.insert_after(PAGE, line, "x")


def test_binary_content_is_recognized() -> None:
    assert text.decode(b"\x89PNG\r\n\x1a\n\x00\x00") is None
    assert text.decode(b"\xff\xfe bad utf-8") is None
    assert text.decode("Jada ⛵".encode()) == "Jada ⛵"


def test_sizes_over_the_limit_are_refused() -> None:
    text.check_size("/notes/a", text.MAX_FILE_BYTES)
    with pytest.raises(EditRefused, match="1,000,001 bytes; the editor handles files up to 1,000,000"):
        text.check_size("/notes/a", text.MAX_FILE_BYTES + 1)


def test_snippet_shows_the_changed_lines_with_context() -> None:
    many = "".join(f"l{i}\n" for i in range(1, 21))
    assert text.snippet(many, 10, 10, context=2) == "8: l8\n9: l9\n10: l10\n11: l11\n12: l12"
    assert text.snippet(many, 1, 1, context=2) == "1: l1\n2: l2\n3: l3"


@given(st.text(alphabet="ab\n", max_size=30), st.integers(0, 40), st.text(alphabet="c\n", max_size=5))
def test_insert_keeps_every_original_line_in_order(content: str, line: int, new: str) -> None:
    lines = text.lines_of(content)
    if line > len(lines):
        return
    updated = text.lines_of(text.insert_after(content, line, new))
    added = text.lines_of(new if new.endswith("\n") or not new else new + "\n") or [""]
    assert updated == lines[:line] + added + lines[line:]
