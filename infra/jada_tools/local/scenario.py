"""Scenario files for `jada local run` (format: docs/contracts.md, "Scenario")."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from jada.clock import parse_time
from jada.settings import Settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class ScenarioError(ValueError):
    """A scenario file is unreadable or invalid; the message names the field."""


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return parse_time(value.isoformat())
    if not isinstance(value, str):
        raise ValueError("must be an ISO-8601 time such as 2026-05-12T22:00:00Z")
    try:
        return parse_time(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO-8601 time such as 2026-05-12T22:00:00Z") from None


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class ScenarioSettings(_Model):
    """Any of the deployed settings (`jada.settings.Settings`) by name, validated by that model:
    an error names `settings.<name>`. Other keys are allowed and ignored."""

    @model_validator(mode="after")
    def _valid(self) -> ScenarioSettings:
        Settings.model_validate(self.given())
        return self

    def given(self) -> dict[str, Any]:
        """The settings the scenario sets, by name."""
        names = Settings.model_fields
        return {name: value for name, value in (self.model_extra or {}).items() if name in names}


class ScenarioTask(_Model):
    at: datetime
    title: str = Field(min_length=1, max_length=200)
    prompt: str = Field(min_length=1)
    priority: int = Field(0, ge=0, le=999)

    _at = field_validator("at", mode="before")(_time)


class ScenarioAnswer(_Model):
    at: datetime
    title: str = Field(min_length=1)
    answer: str = Field(min_length=1)

    _at = field_validator("at", mode="before")(_time)


class SheetToken(_Model):
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    refresh_token: str = Field(min_length=1)


class SheetSync(_Model):
    spreadsheet_id: str = Field(min_length=1)
    range: str = "Ports!A1:F"
    token: SheetToken
    #: offline Google stand-in only: the token is revoked from this time on
    revoke_at: datetime | None = None
    #: offline Google stand-in only: the token endpoint refuses connections from this time on
    stop_at: datetime | None = None

    _times = field_validator("revoke_at", "stop_at", mode="before")(lambda v: None if v is None else _time(v))

    def settings(self) -> dict[str, Any]:
        """The deployed settings this section stands for."""
        return {"spreadsheet_id": self.spreadsheet_id, "sheet_range": self.range}


class Scenario(_Model):
    start: datetime
    end: datetime
    settings: ScenarioSettings = ScenarioSettings()
    tasks: list[ScenarioTask] = Field(default_factory=list)
    answers: list[ScenarioAnswer] = Field(default_factory=list)
    sheet_sync: SheetSync | None = None
    alert_email: str = "ops@example.com"

    _times = field_validator("start", "end", mode="before")(_time)

    @field_validator("alert_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("must be an email address")
        return value

    @model_validator(mode="after")
    def _window(self) -> Scenario:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        for i, task in enumerate(self.tasks):
            if not self.start <= task.at <= self.end:
                raise ValueError(f"tasks.{i}.at must lie between start and end")
        titles = {t.title for t in self.tasks}
        for i, answer in enumerate(self.answers):
            if answer.title not in titles:
                raise ValueError(f"answers.{i}.title {answer.title!r} names no task of the scenario")
        return self


def parse_scenario(data: Any) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_describe(exc)) from None


def load_scenario(path: str | Path) -> Scenario:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read the scenario file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not valid JSON: not UTF-8 text (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"not valid JSON: line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise ScenarioError("not valid JSON: nested too deeply") from None
    return parse_scenario(data)


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "scenario"
        message = err["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return "invalid scenario: " + "; ".join(lines)
