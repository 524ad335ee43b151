"""The update-expression builder against DynamoDB in moto: what it writes is what is read back."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jada.stores._dynamo import from_item
from jada.stores.expressions import Update
from jada.stores.schema import COUNTERS
from moto import mock_aws

KEY = "pk"
#: attribute names: reserved words, placeholder look-alikes, spaces and symbols; never the key
NAMES = st.one_of(
    st.sampled_from(["status", "queue", "usage", "name", "size", "#u0", ":v0", "a b", "ü-ñ"]),
    st.text(st.characters(blacklist_characters=".[]", blacklist_categories=("Cs",)), min_size=1, max_size=8),
).filter(lambda name: name != KEY)
#: JSON values. Floats stay inside DynamoDB's range (10^-130 .. 10^126) and below 2^53, where a whole
#: number read back as int still equals the float; map keys are non-empty (moto fails on empty ones).
SCALARS = st.one_of(
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f == 0 or 1e-100 < abs(f) < 2**53),
    st.text(max_size=10),
    st.booleans(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        boto3.client("dynamodb").create_table(**COUNTERS.create_kwargs("expressions"))
        yield boto3.resource("dynamodb").Table("expressions")


def read(table: Any, key: str = "k") -> dict[str, Any]:
    item = table.get_item(Key={KEY: key}, ConsistentRead=True).get("Item", {})
    return {k: v for k, v in from_item(item).items() if k != KEY}


def write(table: Any, update: Update, key: str = "k") -> None:
    table.update_item(Key={KEY: key}, **update.kwargs())


def test_values_round_trip_under_any_names(table: Any) -> None:
    keys = (f"item{i}" for i in itertools.count())

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(fields=st.dictionaries(NAMES, VALUES, min_size=1, max_size=5))
    def check(fields: dict[str, Any]) -> None:
        # Given any values under awkward names, When set by one update on a new item
        key = next(keys)
        write(table, Update().set_or_remove(fields), key)
        # Then the item read back holds exactly those fields and values
        assert read(table, key) == fields

    check()


def test_nested_paths_write_inside_maps_and_remove_from_them(table: Any) -> None:
    # Given an item with a sessions map
    write(table, Update().set("sessions", {"1": {"n": 1}}).set("usage", {"input_tokens": 3}))
    # When a nested entry is added, a nested counter raised, another entry removed
    write(
        table, Update().set("sessions.2", {"n": 2}).increment("usage.input_tokens", 4).increment("usage.new")
    )
    write(table, Update().remove("sessions.1"))
    # Then
    assert read(table) == {"sessions": {"2": {"n": 2}}, "usage": {"input_tokens": 7, "new": 1}}


def test_increment_append_and_add_start_from_nothing(table: Any) -> None:
    for _ in range(2):
        write(table, Update().increment("version").append("children", "c1", "c2").add("used", 5))
    assert read(table) == {"version": 2, "children": ["c1", "c2", "c1", "c2"], "used": 10}


def test_a_failed_condition_changes_nothing(table: Any) -> None:
    # Given an item whose status is "running", under names that look like the builder's placeholders
    write(table, Update().set("status", "running").set("#u0", "a").set(":v0", "b"))
    # When an update is conditioned on another status
    update = Update().set("status", "done").remove("#u0").when(Attr("status").eq("pending"))
    with pytest.raises(ClientError) as err:
        write(table, update)
    # Then DynamoDB refuses it and the item is untouched
    assert err.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert read(table) == {"status": "running", "#u0": "a", ":v0": "b"}
    # And the condition on the right status lets the same kind of update through
    write(table, Update().set("status", "done").remove("#u0").when(Attr(":v0").eq("b")))
    assert read(table) == {"status": "done", ":v0": "b"}
