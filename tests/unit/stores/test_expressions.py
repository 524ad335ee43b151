"""The update-expression builder: what it renders, its placeholders, its refusals (no AWS)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr
from hypothesis import given
from hypothesis import strategies as st
from jada.stores.expressions import Update

PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")
#: a few of DynamoDB's ~570 reserved words, several of them jada field names
RESERVED = ["status", "queue", "usage", "name", "size", "value", "data", "count", "session", "sessions"]
#: attribute names: anything but the path separators, including strings shaped like placeholders
NAMES = st.one_of(
    st.sampled_from([*RESERVED, "#u0", ":u0", "#n0", ":v0", "a b", "x-y"]),
    st.text(st.characters(blacklist_characters=".[]", blacklist_categories=("Cs",)), min_size=1, max_size=8),
)


def placeholders(kwargs: dict[str, Any]) -> set[str]:
    """Every placeholder the expressions use."""
    text = kwargs["UpdateExpression"] + " " + kwargs.get("ConditionExpression", "")
    return set(PLACEHOLDER.findall(text))


def test_each_action_renders_behind_placeholders() -> None:
    # Given one of each action and a condition
    update = (
        Update()
        .set("status", "done")
        .increment("version")
        .append("children", "c1")
        .add("used", 2)
        .remove("queue")
        .when(Attr("status").eq("running"))
    )
    # Then the expressions are the expected ones, clauses in SET, REMOVE, ADD order
    assert update.kwargs() == {
        "UpdateExpression": "SET #u0 = :u0, #u1 = if_not_exists(#u1, :u1) + :u2, "
        "#u2 = list_append(if_not_exists(#u2, :u3), :u4) REMOVE #u4 ADD #u3 :u5",
        "ConditionExpression": "#n0 = :v0",
        "ExpressionAttributeNames": {
            "#u0": "status", "#u1": "version", "#u2": "children", "#u3": "used", "#u4": "queue",
            "#n0": "status",
        },
        "ExpressionAttributeValues": {
            ":u0": "done", ":u1": 0, ":u2": 1, ":u3": [], ":u4": ["c1"], ":u5": 2, ":v0": "running",
        },
    }  # fmt: skip


@pytest.mark.parametrize("word", RESERVED)
def test_reserved_words_never_appear_bare(word: str) -> None:
    kwargs = Update().set(word, 1).remove(f"other.{word}").when(Attr(word).exists()).kwargs()
    expressions = kwargs["UpdateExpression"] + " " + kwargs["ConditionExpression"]
    assert word not in re.split(r"[^A-Za-z_]+", expressions)
    assert word in kwargs["ExpressionAttributeNames"].values()


def test_nested_and_indexed_paths_get_a_placeholder_per_name() -> None:
    kwargs = Update().set("sessions.3", {"n": 3}).remove("children[2]").set("usage.input_tokens", 5).kwargs()
    assert kwargs["UpdateExpression"] == "SET #u0.#u1 = :u0, #u3.#u4 = :u1 REMOVE #u2[2]"
    assert kwargs["ExpressionAttributeNames"] == {
        "#u0": "sessions", "#u1": "3", "#u2": "children", "#u3": "usage", "#u4": "input_tokens",
    }  # fmt: skip


def test_a_name_used_twice_shares_one_placeholder() -> None:
    kwargs = Update().set("usage.a", 1).set("usage.b", 2).kwargs()
    assert kwargs["UpdateExpression"] == "SET #u0.#u1 = :u0, #u0.#u2 = :u1"


def test_values_are_stored_as_boto3_needs_them() -> None:
    # floats become Decimal (boto3 refuses float) at any depth; tuples become lists; None inside stays
    kwargs = Update().set("cost", 0.1).set("doc", {"rate": 2.5, "tags": ("a", "b"), "gone": None}).kwargs()
    values = kwargs["ExpressionAttributeValues"]
    assert values[":u0"] == Decimal("0.1")
    assert values[":u1"] == {"rate": Decimal("2.5"), "tags": ["a", "b"], "gone": None}


def test_set_or_remove_removes_none_values() -> None:
    kwargs = Update().set_or_remove({"summary": "ok", "blocked_reason": None}).kwargs()
    assert kwargs["UpdateExpression"] == "SET #u0 = :u0 REMOVE #u1"
    assert kwargs["ExpressionAttributeNames"] == {"#u0": "summary", "#u1": "blocked_reason"}


def test_several_conditions_must_all_hold() -> None:
    kwargs = Update().set("a", 1).when(Attr("a").exists()).when(~Attr("b").contains("x")).kwargs()
    assert kwargs["ConditionExpression"] == "(attribute_exists(#n0) AND (NOT contains(#n1, :v0)))"


def test_removing_a_path_twice_is_one_removal() -> None:
    assert Update().remove("queue").remove("queue").kwargs()["UpdateExpression"] == "REMOVE #u0"


def test_without_condition_or_values_those_keys_are_absent() -> None:
    # DynamoDB rejects an empty ExpressionAttributeValues map
    assert Update().remove("queue").kwargs() == {
        "UpdateExpression": "REMOVE #u0",
        "ExpressionAttributeNames": {"#u0": "queue"},
    }


def test_an_update_without_actions_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one action"):
        Update().when(Attr("a").exists()).kwargs()


@pytest.mark.parametrize(
    "second", [lambda u: u.set("a", 2), lambda u: u.remove("a"), lambda u: u.add("a", 1)]
)
def test_writing_one_path_twice_is_refused(second: Any) -> None:
    # (DynamoDB refuses overlapping paths too, with a less specific message)
    update = Update().set("a", 1)
    with pytest.raises(ValueError, match="'a' is already written"):
        second(update)
    # and the refused action left nothing behind (DynamoDB rejects unused placeholders)
    assert update.kwargs() == Update().set("a", 1).kwargs()


@pytest.mark.parametrize("path", ["", ".a", "a.", "a..b", "a[x]", "a[]", "[0]", "a]b"])
def test_a_malformed_path_is_refused(path: str) -> None:
    with pytest.raises(ValueError, match="not an attribute path"):
        Update().set(path, 1)


@given(
    sets=st.dictionaries(NAMES, st.integers(), min_size=1, max_size=6),
    removes=st.lists(NAMES, max_size=4),
    condition_names=st.lists(NAMES, min_size=1, max_size=4),
)
def test_placeholders_never_collide_and_all_are_defined(
    sets: dict[str, int], removes: list[str], condition_names: list[str]
) -> None:
    # Given any names (also ones shaped like placeholders), set at top level and removed nested,
    # and a condition on the same names
    update = Update()
    for name, value in sets.items():
        update.set(name, value)
    for name in dict.fromkeys(removes):
        update.remove(f"parent.{name}")
    condition = Attr(condition_names[0]).exists()
    for name in condition_names[1:]:
        condition &= Attr(name).ne(1)
    kwargs = update.when(condition).kwargs()
    names = kwargs.get("ExpressionAttributeNames", {})
    values = kwargs.get("ExpressionAttributeValues", {})
    # Then every placeholder used is defined and every defined one is used (DynamoDB checks both)
    assert placeholders(kwargs) == set(names) | set(values)
    # and none was defined twice: one per update name, one per condition name and value
    update_names = set(sets) | ({"parent"} if removes else set()) | set(removes)
    assert len(names) == len(update_names) + len(condition_names)
    assert len(values) == len(sets) + len(condition_names) - 1
    # and each placeholder stands for the right name
    assert {names[f"#n{i}"] for i in range(len(condition_names))} == set(condition_names)
    assert {v for k, v in names.items() if k.startswith("#u")} == update_names
