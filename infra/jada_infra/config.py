"""Deployed settings, read from CDK context (cdk.json or `-c key=value`).

Every setting of `jada.settings.Settings` is read by its derived context key in one loop and
validated by the same model; `alertEmail` is the one value that is not a setting of the functions.
It has no default: a synth that can be deployed refuses a missing or placeholder address, so alarms
never go to example.com. A synth with bundling off (the local cloud, tests, `-c skipBundling=true`)
cannot be deployed and accepts any well-formed address: its mail never leaves the machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from constructs import Node
from jada.errors import ConfigurationError
from jada.settings import RATE, Settings, declared

ALERT_EMAIL = "alertEmail"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: domains reserved for documentation and testing (RFC 2606, RFC 6761): their mail reaches nobody
RESERVED_DOMAINS = ("example.com", "example.org", "example.net")
RESERVED_TLDS = ("test", "example", "invalid", "localhost", "local")
#: the local parts and domains of the addresses docs use as a pattern to copy
PATTERN_LOCAL_PARTS = ("you", "yourname", "your.name", "your-name")
PATTERN_DOMAINS = ("yourdomain", "your-domain")
HOW_TO_SET = (
    "set the address alarms go to: cdk deploy -c alertEmail=you@yourdomain "
    '(make deploy ALERT_EMAIL=you@yourdomain), or "alertEmail" in the context of cdk.json'
)


class ContextError(ValueError):
    """A context value stops the synth; the message names it and says how to fix it."""


def placeholder_reason(email: str) -> str | None:
    """Why `email` is a placeholder that receives no mail (None for a real-looking address)."""
    local, _, domain = email.lower().rpartition("@")
    labels = domain.split(".")
    for reserved in RESERVED_DOMAINS:
        if domain == reserved or domain.endswith("." + reserved):
            return f"{reserved} is reserved for examples and receives no mail"
    if labels[-1] in RESERVED_TLDS:
        return f"the .{labels[-1]} domain is reserved and receives no mail"
    if local in PATTERN_LOCAL_PARTS or labels[0] in PATTERN_DOMAINS:
        return "it is the pattern from the docs, not your address"
    return None


def deployable(node: Node) -> bool:
    """Whether this synth bundles the stack's assets, as `cdk deploy` and `cdk synth` do; the local
    cloud and tests turn bundling off (`aws:cdk:bundling-stacks` = [])."""
    stacks = node.try_get_context("aws:cdk:bundling-stacks")
    return not (isinstance(stacks, list) and not stacks)


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
            raise ContextError(exc.message) from None
        config = cls(alert_email=str(node.try_get_context(ALERT_EMAIL) or "").strip(), settings=settings)
        config.validate(deployable=deployable(node))
        return config

    def validate(self, *, deployable: bool = True) -> None:
        email = self.alert_email
        if not email:
            raise ContextError(f"context value alertEmail is not set: {HOW_TO_SET}")
        if not _EMAIL.match(email):
            raise ContextError(
                f"context value alertEmail must be an email address, got {email!r}: {HOW_TO_SET}"
            )
        reason = placeholder_reason(email) if deployable else None
        if reason:
            raise ContextError(
                f"context value alertEmail {email!r} is a placeholder ({reason}): alarms would reach "
                f"nobody; {HOW_TO_SET}"
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
