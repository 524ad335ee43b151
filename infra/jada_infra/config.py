"""Deployed settings, read from CDK context (cdk.json or `-c key=value`).

Every setting of `jada.settings.Settings` is read by its derived context key in one loop and
validated by the same model; `alertEmail` is the one value that is not a setting of the functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from constructs import Node
from jada.errors import ConfigurationError
from jada.settings import RATE, Settings, declared

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class StackConfig:
    alert_email: str
    settings: Settings

    @classmethod
    def from_context(cls, node: Node) -> StackConfig:
        given = {s.name: node.try_get_context(s.context_key) for s in declared()}
        values = {name: value for name, value in given.items() if value is not None}
        try:
            settings = Settings.parse(values, key=lambda s: f"context value {s.context_key}")
        except ConfigurationError as exc:
            raise ValueError(exc.message) from None
        config = cls(alert_email=str(node.try_get_context("alertEmail") or ""), settings=settings)
        config.validate()
        return config

    def validate(self) -> None:
        if not _EMAIL.match(self.alert_email):
            raise ValueError(
                f"context value alertEmail must be an email address (cdk deploy -c alertEmail=...), "
                f"got {self.alert_email!r}"
            )


def rate_duration(rate: str) -> Any:
    """'30 minutes' -> Duration."""
    from aws_cdk import Duration

    match = RATE.fullmatch(rate)
    if not match:
        raise ValueError(f"bad rate {rate!r}")
    amount, unit = int(match.group(1)), match.group(2)
    if unit.startswith("minute"):
        return Duration.minutes(amount)
    if unit.startswith("hour"):
        return Duration.hours(amount)
    return Duration.days(amount)
