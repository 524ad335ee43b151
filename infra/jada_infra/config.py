"""Deployed settings, read from CDK context (cdk.json or `-c key=value`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from constructs import Node
from jada.settings import Settings
from pydantic import ValidationError

_RATE = re.compile(r"^(\d+) (minute|minutes|hour|hours|day|days)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Settings field -> the cdk.json context key it comes from (for error messages)
_CONTEXT_KEYS = {
    "sessions_per_day": "sessionsPerDay",
    "turns_per_session": "turnsPerSession",
    "max_sessions_per_task": "maxSessionsPerTask",
    "turns_per_batch": "turnsPerBatch",
    "max_concurrent_sessions": "maxConcurrentSessions",
    "model": "model",
}


@dataclass(frozen=True)
class StackConfig:
    alert_email: str
    settings: Settings
    poll_rate: str = "1 minute"
    sync_rate: str = "30 minutes"
    spreadsheet_id: str = ""
    sheet_range: str = "Ports!A1:F"
    sheet_key_column: str = "port"
    google_app_testing: bool = True
    powertools_version: str = "3.37.0"

    @classmethod
    def from_context(cls, node: Node) -> StackConfig:
        def ctx(key: str, default: Any) -> Any:
            value = node.try_get_context(key)
            return default if value is None else value

        def number(key: str, default: int) -> int:
            value = ctx(key, default)
            try:
                return int(value)
            except (TypeError, ValueError):
                raise ValueError(f"context value {key} must be a whole number, got {value!r}") from None

        defaults = Settings.model_validate({})
        values: dict[str, Any] = {
            field: number(key, getattr(defaults, field))
            for field, key in _CONTEXT_KEYS.items()
            if field != "model"
        }
        values["model"] = str(ctx("model", defaults.model))
        try:
            settings = Settings.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"context value {_CONTEXT_KEYS.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else '?'}: "
                f"{e['msg']}"
                for e in exc.errors()
            )
            raise ValueError(problems) from None
        config = cls(
            alert_email=str(ctx("alertEmail", "")),
            settings=settings,
            poll_rate=str(ctx("pollRate", "1 minute")),
            sync_rate=str(ctx("syncRate", "30 minutes")),
            spreadsheet_id=str(ctx("spreadsheetId", "")),
            sheet_range=str(ctx("sheetRange", "Ports!A1:F")),
            sheet_key_column=str(ctx("sheetKeyColumn", "port")),
            google_app_testing=str(ctx("googleAppTesting", True)).lower() in {"true", "1", "yes"},
            powertools_version=str(ctx("powertoolsVersion", "3.37.0")),
        )
        config.validate()
        return config

    def validate(self) -> None:
        if not _EMAIL.match(self.alert_email):
            raise ValueError(
                f"context value alertEmail must be an email address (cdk deploy -c alertEmail=...), "
                f"got {self.alert_email!r}"
            )
        for key, rate in (("pollRate", self.poll_rate), ("syncRate", self.sync_rate)):
            match = _RATE.match(rate)
            if not match or int(match.group(1)) < 1:
                raise ValueError(
                    f"context value {key} must look like '1 minute' or '30 minutes' (at least 1), "
                    f"got {rate!r}"
                )

    def settings_environment(self) -> dict[str, str]:
        s = self.settings
        return {
            "SESSIONS_PER_DAY": str(s.sessions_per_day),
            "TURNS_PER_SESSION": str(s.turns_per_session),
            "MAX_SESSIONS_PER_TASK": str(s.max_sessions_per_task),
            "TURNS_PER_BATCH": str(s.turns_per_batch),
            "MAX_CONCURRENT_SESSIONS": str(s.max_concurrent_sessions),
            "MODEL": s.model,
        }


def rate_duration(rate: str) -> Any:
    """'30 minutes' -> Duration."""
    from aws_cdk import Duration

    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"bad rate {rate!r}")
    amount, unit = int(match.group(1)), match.group(2)
    if unit.startswith("minute"):
        return Duration.minutes(amount)
    if unit.startswith("hour"):
        return Duration.hours(amount)
    return Duration.days(amount)
