"""A small CloudFormation intrinsic-function resolver for the local cloud."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

ACCOUNT = "123456789012"
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
    "AWS::StackName": "Jada",
    "AWS::StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/Jada/local",
}
_SUB = re.compile(r"\$\{([^}!]+)\}")


class UnresolvedReference(KeyError):
    """A Ref/GetAtt names something the local cloud has not provisioned (yet)."""


class Resolver:
    """Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::If (false-free)."""

    def __init__(
        self,
        region: str,
        refs: dict[str, Any],
        attrs: dict[tuple[str, str], Any],
        parameters: dict[str, Any] | None = None,
        attr_fallback: Callable[[str, str], Any] | None = None,
    ) -> None:
        self.region = region
        self.refs = refs
        self.attrs = attrs
        self.parameters = parameters or {}
        self.attr_fallback = attr_fallback

    def ref(self, name: str) -> Any:
        if name == "AWS::Region":
            return self.region
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        raise UnresolvedReference(f"Ref {name}")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if (logical_id, attribute) in self.attrs:
            return self.attrs[(logical_id, attribute)]
        if self.attr_fallback is not None:
            return self.attr_fallback(logical_id, attribute)
        raise UnresolvedReference(f"Fn::GetAtt {logical_id}.{attribute}")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = _FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, arg)
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical, attribute = name.split(".", 1)
                return str(self.get_att(logical, attribute))
            return str(self.ref(name))

        return _SUB.sub(replace, text)


def _get_att(r: Resolver, arg: Any) -> Any:
    logical, attribute = arg.split(".", 1) if isinstance(arg, str) else r.resolve(arg)
    return r.get_att(logical, attribute)


def _join(r: Resolver, arg: Any) -> str:
    sep, parts = arg
    return str(r.resolve(sep)).join(str(p) for p in r.resolve(parts))


def _select(r: Resolver, arg: Any) -> Any:
    index, items = r.resolve(arg)
    return items[int(index)]


def _split(r: Resolver, arg: Any) -> list[str]:
    sep, text = r.resolve(arg)
    return str(text).split(sep)


def _if(r: Resolver, arg: Any) -> Any:
    # Conditions are not evaluated locally: CDK's jada stack declares none; take the true branch.
    return r.resolve(arg[1])


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": lambda r, arg: r.ref(arg),
    "Fn::GetAtt": _get_att,
    "Fn::Join": _join,
    "Fn::Sub": lambda r, arg: r._sub(arg),
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::GetAZs": lambda r, arg: [f"{r.region}a", f"{r.region}b"],
    "Fn::ImportValue": lambda r, arg: f"import-{r.resolve(arg)}",
}
