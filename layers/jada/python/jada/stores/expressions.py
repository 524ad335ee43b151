"""DynamoDB update expressions built from calls, every name and value behind a placeholder.

    Update().set("status", "done").increment("version").remove("queue").when(Attr("task_id").exists())

`kwargs()` gives `UpdateExpression`, `ConditionExpression`, `ExpressionAttributeNames` and
`ExpressionAttributeValues` for `update_item`. A path may be nested (`sessions.3`, `usage.input_tokens`)
or index a list (`children[0]`); each name in it gets a placeholder, so reserved words (`status`,
`queue`, `usage`) need no care. Conditions are boto3's own (`Attr`), rendered here by boto3's builder
with its `#n0`/`:v0` placeholders; the update's own are `#u0`/`:u0`, so the two never collide.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.conditions import ConditionBase, ConditionExpressionBuilder

from jada.stores._dynamo import to_value

#: `name`, `a.b.c`, `list[0].name`: names joined by dots, each maybe indexed
PATH = re.compile(r"[^.\[\]]+(\[\d+\])*(\.[^.\[\]]+(\[\d+\])*)*")
#: a name inside a path (not an index); boto3's `Attr` splits paths the same way
PATH_NAME = re.compile(r"[^.\[\]]+(?![^\[]*\])")


class Update:
    """One `update_item` request's expressions. Methods return the update, so calls chain."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # attribute name -> placeholder
        self._values: dict[str, Any] = {}  # placeholder -> value
        self._actions: dict[str, list[str]] = {"SET": [], "REMOVE": [], "ADD": []}
        self._paths: dict[str, str] = {}  # path -> the action that writes it
        self._condition: ConditionBase | None = None

    # --- actions ------------------------------------------------------------------------------
    def set(self, path: str, value: Any) -> Update:
        """`path = value`."""
        name = self._claim(path, "SET")
        return self._act("SET", f"{name} = {self._value(value)}")

    def set_or_remove(self, fields: Mapping[str, Any]) -> Update:
        """Set each field; a None value removes the field instead."""
        for path, value in fields.items():
            if value is None:
                self.remove(path)
            else:
                self.set(path, value)
        return self

    def increment(self, path: str, by: int | float = 1) -> Update:
        """`path = path + by`, a missing `path` counting as 0 (works on nested paths, unlike ADD)."""
        name = self._claim(path, "SET")
        return self._act("SET", f"{name} = if_not_exists({name}, {self._value(0)}) + {self._value(by)}")

    def append(self, path: str, *items: Any) -> Update:
        """Add `items` at the end of the list at `path` (a missing list counts as empty)."""
        name = self._claim(path, "SET")
        empty, tail = self._value([]), self._value(list(items))
        return self._act("SET", f"{name} = list_append(if_not_exists({name}, {empty}), {tail})")

    def add(self, path: str, value: Any) -> Update:
        """DynamoDB's ADD: add to a number (a missing one counts as 0) or a set; top-level paths only."""
        name = self._claim(path, "ADD")
        return self._act("ADD", f"{name} {self._value(value)}")

    def remove(self, path: str) -> Update:
        """Drop the attribute at `path` (removing it twice is one removal)."""
        if self._paths.get(path) == "REMOVE":
            return self
        return self._act("REMOVE", self._claim(path, "REMOVE"))

    # --- condition ----------------------------------------------------------------------------
    def when(self, condition: ConditionBase) -> Update:
        """Apply the update only if `condition` holds (several calls: all must hold)."""
        self._condition = condition if self._condition is None else self._condition & condition
        return self

    # --- output -------------------------------------------------------------------------------
    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `Table.update_item` (add `Key` and `ReturnValues`)."""
        clauses = [f"{action} {', '.join(parts)}" for action, parts in self._actions.items() if parts]
        if not clauses:
            raise ValueError("an update needs at least one action")
        names = {placeholder: name for name, placeholder in self._names.items()}
        values = dict(self._values)
        result: dict[str, Any] = {"UpdateExpression": " ".join(clauses)}
        if self._condition is not None:
            built = ConditionExpressionBuilder().build_expression(self._condition)
            result["ConditionExpression"] = built.condition_expression
            names |= built.attribute_name_placeholders
            values |= {k: to_value(v) for k, v in built.attribute_value_placeholders.items()}
        if names:
            result["ExpressionAttributeNames"] = names
        if values:
            result["ExpressionAttributeValues"] = values
        return result

    def transaction_item(self, table_name: str, key: Mapping[str, Any]) -> dict[str, Any]:
        """The update as one item of `transact_write_items`, called on a boto3 resource's client
        (`Table.meta.client`), which types the plain values itself as `Table.update_item` does."""
        return {
            "Update": {
                "TableName": table_name,
                "Key": {k: to_value(v) for k, v in key.items()},
                **self.kwargs(),
            }
        }

    # --- placeholders -------------------------------------------------------------------------
    def _claim(self, path: str, action: str) -> str:
        """Check `path` and that no other action writes it; its placeholder form (`#u0.#u1`)."""
        if not PATH.fullmatch(path):
            raise ValueError(f"not an attribute path: {path!r}")
        if path in self._paths:
            raise ValueError(f"{path!r} is already written by this update ({self._paths[path]})")
        self._paths[path] = action
        return PATH_NAME.sub(lambda name: self._name(name.group()), path)

    def _act(self, action: str, expression: str) -> Update:
        self._actions[action].append(expression)
        return self

    def _name(self, name: str) -> str:
        return self._names.setdefault(name, f"#u{len(self._names)}")

    def _value(self, value: Any) -> str:
        placeholder = f":u{len(self._values)}"
        self._values[placeholder] = to_value(value)
        return placeholder
