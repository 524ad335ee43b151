"""The text editor's operations on file contents (pure): numbered views, one exact replacement,
insertion after a line, and the snippet shown after an edit. Error texts follow Anthropic's
text editor tool documentation where it gives one.
"""

from __future__ import annotations

from jada.errors import EditRefused

#: the largest file the editor views or writes (bytes of UTF-8)
MAX_FILE_BYTES = 1_000_000
#: a view is cut to this many characters (sent to the model as the tool's `max_characters`)
MAX_VIEW_CHARACTERS = 20_000
#: lines of context around an edit in the result
SNIPPET_CONTEXT = 3

NO_MATCH = "Error: No match found for replacement. Please check your text and try again."


def many_matches(count: int) -> str:
    return (
        f"Error: Found {count} matches for replacement text. "
        "Please provide more context to make a unique match."
    )


def decode(body: bytes) -> str | None:
    """The text of a file, or None when it is binary (a NUL byte, or not UTF-8)."""
    if b"\x00" in body:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def lines_of(text: str) -> list[str]:
    """The file's lines; a final newline does not start another line."""
    if not text:
        return []
    body = text[:-1] if text.endswith("\n") else text
    return body.split("\n")


def numbered(lines: list[str], first: int = 1) -> str:
    """`N: line` for each line, N counted from `first` (the format of Anthropic's examples)."""
    return "\n".join(f"{number}: {line}" for number, line in enumerate(lines, start=first))


def view(text: str, view_range: list[int] | None = None, max_characters: int = MAX_VIEW_CHARACTERS) -> str:
    """A file's numbered lines, all of them or `[start, end]` (1-based, end -1 = to the end)."""
    lines = lines_of(text)
    start, end = 1, len(lines)
    if view_range is not None:
        start, end = _range(view_range, len(lines))
    shown = numbered(lines[start - 1 : end], start) if lines else "(empty file)"
    if len(shown) <= max_characters:
        return shown
    cut = shown[:max_characters]
    last = cut.count("\n") + start - 1
    return (
        f"{cut}\n[... cut at {max_characters} characters (after line {last} of {len(lines)}): "
        "view the rest with view_range]"
    )


def _range(view_range: list[int], count: int) -> tuple[int, int]:
    if len(view_range) != 2:
        raise EditRefused("Error: view_range must be two line numbers [start, end] (end -1: to the end).")
    start, end = view_range
    if count == 0:
        raise EditRefused("Error: the file is empty; view it without view_range.")
    if not 1 <= start <= count:
        raise EditRefused(f"Error: Invalid view_range {view_range}: start must be between 1 and {count}.")
    if end == -1:
        return start, count
    if end < start:
        raise EditRefused(f"Error: Invalid view_range {view_range}: end must be -1 or at least {start}.")
    return start, min(end, count)


def replace_once(text: str, old: str, new: str) -> tuple[str, int]:
    """The text with `old` replaced by `new`, which must occur exactly once; and the line number
    the replacement starts on."""
    if not old:
        raise EditRefused("Error: old_str is empty; give the exact text to replace.")
    count = text.count(old)
    if count == 0:
        raise EditRefused(NO_MATCH)
    if count > 1:
        raise EditRefused(many_matches(count))
    at = text.index(old)
    return text[:at] + new + text[at + len(old) :], text.count("\n", 0, at) + 1


def insert_after(text: str, line: int, new: str) -> str:
    """The text with `new` inserted after line `line` (0: before the first line)."""
    lines = lines_of(text)
    if not 0 <= line <= len(lines):
        raise EditRefused(
            f"Error: Invalid insert_line {line}: it must be between 0 and {len(lines)} (the line count)."
        )
    added = new[:-1] if new.endswith("\n") else new
    result = lines[:line] + added.split("\n") + lines[line:]
    ending = "\n" if text.endswith("\n") or not text else ""
    return "\n".join(result) + ending


def snippet(text: str, first: int, last: int, context: int = SNIPPET_CONTEXT) -> str:
    """Numbered lines `first`..`last` of the text with a few lines around them."""
    lines = lines_of(text)
    start = max(1, first - context)
    end = min(len(lines), last + context)
    return numbered(lines[start - 1 : end], start)


def check_size(path: str, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise EditRefused(
            f"Error: {path} has {size:,} bytes; the editor handles files up to {MAX_FILE_BYTES:,} bytes."
        )
