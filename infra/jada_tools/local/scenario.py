"""Scenario files for `jada local run` (format: docs/contracts.md, "Scenario").

Every section is a `_Model`: keys it does not declare are kept (`extra="allow"`) so that
`unknown_keys` can name them in a warning; a key becomes known by becoming a field, nothing else.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from jada.clock import parse_time
from jada.errors import InvalidTaskInput, WorkspacePathRefused
from jada.models import MAX_TITLE_CHARS
from jada.settings import Settings, declared
from jada.sites.config import SITE_NAME
from jada.stores.tasks import validate_new_task
from jada.tool_settings import mcp_servers as validate_mcp_servers
from jada.workspace import paths
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


def _title(value: str) -> str:
    """A task's title as the store keeps it (stripped); answers name their task by it."""
    title = value.strip()
    if not title:
        raise ValueError("must not be blank")
    return title


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")

    @classmethod
    def extra_keys(cls) -> dict[str, str | None]:
        """Keys this section knows beyond its fields, each with the key to suggest instead (None:
        the key is right as it is)."""
        return {}


class ScenarioSettings(_Model):
    """Any of the deployed settings (`jada.settings.Settings`) by name, validated by that model:
    an error names `settings.<name>`. Other keys are allowed, ignored and warned about."""

    @classmethod
    def extra_keys(cls) -> dict[str, str | None]:
        names: dict[str, str | None] = dict.fromkeys(Settings.model_fields)
        # a cdk.json key (sessionsPerDay) given here is a mistake with an obvious fix
        return {**{s.context_key: s.name for s in declared() if s.context_key != s.name}, **names}

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
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    prompt: str = Field(min_length=1)
    priority: int = Field(0, ge=0, le=999)

    _at = field_validator("at", mode="before")(_time)
    _title = field_validator("title")(_title)

    @model_validator(mode="after")
    def _queueable(self) -> ScenarioTask:
        """What `jada tasks add` would refuse when the task arrives is refused now."""
        try:
            validate_new_task(self.title, self.prompt, self.priority)
        except InvalidTaskInput as exc:
            raise ValueError(str(exc)) from None
        return self


class ScenarioAnswer(_Model):
    at: datetime
    title: str = Field(min_length=1)
    answer: str = Field(min_length=1)

    _at = field_validator("at", mode="before")(_time)
    _title = field_validator("title")(_title)

    @field_validator("answer")
    @classmethod
    def _answer(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


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
    #: offline Google stand-in only: the sheet's values, header row first (None: the sample port sheet)
    rows: list[list[str]] | None = Field(default=None, min_length=1)
    #: offline Google stand-in only: from this time on it answers again and the token works (the
    #: outage is over, or the operator re-authorized)
    restore_at: datetime | None = None

    _times = field_validator("revoke_at", "stop_at", "restore_at", mode="before")(
        lambda v: None if v is None else _time(v)
    )

    def settings(self) -> dict[str, Any]:
        """The deployed settings this section stands for."""
        return {"spreadsheet_id": self.spreadsheet_id, "sheet_range": self.range}


class ScenarioSite(_Model):
    """A user's existing static site: its live files (path below the site -> text) and whether a
    deploy waits for the operator's approval."""

    files: dict[str, str] = Field(min_length=1)
    approval: Literal["auto", "operator"] = "auto"

    @field_validator("files")
    @classmethod
    def _paths(cls, value: dict[str, str]) -> dict[str, str]:
        for path in value:
            try:
                paths.parse(f"/sites/example.com/{path}")
            except WorkspacePathRefused as exc:
                raise ValueError(f"file {path!r} is not a path inside a site: {exc}") from None
            if path.endswith("/"):
                raise ValueError(f"file {path!r} names a folder, not a file")
        return value


class ScenarioMcpServer(_Model):
    """A remote MCP server: the token is stored in an emulated Secrets Manager secret, never in the
    settings, the report or a log."""

    name: str
    url: str
    token: str = ""
    allowed_tools: list[str] = Field(default_factory=list)

    def setting(self, secret_name: str | None) -> dict[str, Any]:
        """The `mcpServers` entry of the stack's settings (the secret named, never the token)."""
        entry: dict[str, Any] = {"name": self.name, "url": self.url}
        if secret_name:
            entry["tokenSecret"] = secret_name
        if self.allowed_tools:
            entry["allowedTools"] = list(self.allowed_tools)
        return entry


class Scenario(_Model):
    start: datetime
    end: datetime
    #: what the scenario is about (for people; the run ignores it)
    description: str = ""
    settings: ScenarioSettings = ScenarioSettings()
    tasks: list[ScenarioTask] = Field(default_factory=list)
    answers: list[ScenarioAnswer] = Field(default_factory=list)
    sheet_sync: SheetSync | None = None
    alert_email: str = "ops@example.com"
    #: existing static sites: a bucket and a CloudFront distribution each, imported into the workspace
    sites: dict[str, ScenarioSite] = Field(default_factory=dict)
    #: remote MCP servers, each with its token (put into an emulated secret)
    mcp_servers: list[ScenarioMcpServer] = Field(default_factory=list)

    _times = field_validator("start", "end", mode="before")(_time)

    @field_validator("sites")
    @classmethod
    def _site_names(cls, value: dict[str, ScenarioSite]) -> dict[str, ScenarioSite]:
        for site in value:
            if not SITE_NAME.match(site):
                raise ValueError(f"site name {site!r} must be a lower-case host name such as sailjada.com")
        return value

    @field_validator("mcp_servers")
    @classmethod
    def _mcp_servers(cls, value: list[ScenarioMcpServer]) -> list[ScenarioMcpServer]:
        try:  # what the mcpServers setting refuses, the scenario refuses
            validate_mcp_servers([server.setting("jada-local/mcp/check") for server in value])
        except ValidationError as exc:
            problems = (f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
            raise ValueError("; ".join(problems)) from None
        return value

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
        given = self.settings.given()
        for key in ("sites", "mcp_servers"):
            if getattr(self, key) and key in given:
                raise ValueError(f"give {key} once: at the top level or in settings.{key}, not both")
        titles = Counter(t.title for t in self.tasks)
        for i, answer in enumerate(self.answers):
            if answer.title not in titles:
                raise ValueError(f"answers.{i}.title {answer.title!r} names no task of the scenario")
            if titles[answer.title] > 1:
                same = ", ".join(f"tasks.{j}" for j, t in enumerate(self.tasks) if t.title == answer.title)
                raise ValueError(
                    f"answers.{i}.title {answer.title!r} matches {titles[answer.title]} tasks ({same}): "
                    "give them different titles"
                )
        return self


def unknown_keys(model: BaseModel, path: str = "") -> Iterator[tuple[str, str | None]]:
    """Every key of `model` and the sections below it that no field declares, as (dotted path, the
    known key it is probably a typo of, or None), in file order."""
    fields = type(model).model_fields
    extra = type(model).extra_keys() if isinstance(model, _Model) else {}
    known = sorted({*fields, *(k for k, hint in extra.items() if hint is None)})
    for key in model.model_extra or {}:
        if key in fields or extra.get(key, "") is None:
            continue
        hint = extra.get(key) or next(iter(difflib.get_close_matches(key, known, n=1, cutoff=0.6)), None)
        yield _join(path, key), _join(path, hint) if hint else None
    for name in fields:
        yield from _unknown_below(getattr(model, name), _join(path, name))


def _unknown_below(value: Any, path: str) -> Iterator[tuple[str, str | None]]:
    if isinstance(value, BaseModel):
        yield from unknown_keys(value, path)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _unknown_below(item, f"{path}.{i}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unknown_below(item, f"{path}.{key}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def scenario_warnings(scenario: Scenario) -> list[str]:
    """One line per unknown key: `scenario key 'task' is not known (did you mean 'tasks'?)`."""
    lines = []
    for key, hint in unknown_keys(scenario):
        guess = f" (did you mean {hint!r}?)" if hint else ""
        lines.append(f"scenario key {key!r} is not known{guess}")
    return lines


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


def _names_a_key(message: str) -> bool:
    first = message.split(" ", 1)[0].split(".", 1)[0].rstrip(":")
    return first in Scenario.model_fields


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if not where and not _names_a_key(message):
            where = "scenario"  # the file as a whole, e.g. not a JSON object
        lines.append(f"{where}: {message}" if where else message)  # a whole-scenario check names its keys
    return "invalid scenario: " + "; ".join(lines)
