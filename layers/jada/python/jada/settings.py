"""Settings, each declared once: a field of `Settings`. Everything else is derived from the field.

From a field's snake_case name come
- its cdk.json context key, camelCase: `sessions_per_day` -> `sessionsPerDay`;
- its environment variable, UPPER_SNAKE: `SESSIONS_PER_DAY`. The CDK app sets it on exactly the
  functions the field names in `functions`; a field naming none is infra-only (read by the CDK
  app, e.g. the schedule rates) and has no environment variable;
- its key in a local-cloud scenario file: `settings.sessions_per_day`.
Wherever a value comes from, the field's constraints validate it, and an error names the context
key, the variable or the scenario key. Configuration is read at handler entry, never at import.

Adding a setting is one line in `Settings`: a default, its constraints, an example value other
than the default (the tests put it through every path) and the functions that read it:

    monthly_budget_usd: float = setting(0.0, ge=0, example=50.0, functions=(TURN_BATCH,))

Values that are not strings travel through environment variables as JSON (`true`, `7`,
`["web_search"]`), so lists and objects work the same way.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from jada.errors import ConfigurationError
from jada.sites.config import validate_sites
from jada.tool_settings import McpServers, ServerTools

#: the functions (folders under functions/) a setting can be read by
POLL, TURN_BATCH, SESSION_END, SHEET_SYNC = "poll", "turn_batch", "session_end", "sheet_sync"
#: the three functions of a session (poll, its batches and its end)
SESSIONS = (POLL, TURN_BATCH, SESSION_END)
#: read by the CDK app only: no environment variable
INFRA: tuple[str, ...] = ()


def setting(default: Any, *, example: Any, functions: Iterable[str], **constraints: Any) -> Any:
    """A setting's declaration: `Field` plus the example and the functions that read it."""
    return Field(default, examples=[example], json_schema_extra={"functions": list(functions)}, **constraints)


RATE = re.compile(r"([1-9][0-9]*) (minute|minutes|hour|hours|day|days)")


def _rate(value: str) -> str:
    if not RATE.fullmatch(value):
        raise ValueError("must look like '1 minute' or '30 minutes' (at least 1)")
    return value


#: an EventBridge Scheduler rate without `rate(...)`: `1 minute`, `30 minutes`, `2 hours`
Rate = Annotated[str, AfterValidator(_rate)]
#: `{"<site>": {"bucket": ..., "distributionId": ..., "approval": "auto" | "operator"}}`
Sites = Annotated[dict[str, dict[str, Any]], AfterValidator(validate_sites)]
EXAMPLE_SITES = {
    "sailjada.com": {"bucket": "sailjada-site", "distributionId": "E2QWRUHAPOMQZL", "approval": "operator"}
}


class Settings(BaseModel):
    """Operator-facing knobs (cdk.json context: sessionsPerDay, turnsPerSession, ...)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # sessions
    sessions_per_day: int = setting(5, ge=1, le=1000, example=7, functions=(POLL,))
    turns_per_session: int = setting(30, ge=1, le=500, example=40, functions=(TURN_BATCH,))
    max_sessions_per_task: int = setting(3, ge=1, le=100, example=4, functions=(SESSION_END,))
    turns_per_batch: int = setting(5, ge=1, le=100, example=6, functions=(TURN_BATCH,))
    max_concurrent_sessions: int = setting(2, ge=1, le=100, example=3, functions=(POLL,))
    #: the agent is asked for a handoff note this many turns before the limit
    handoff_margin: int = setting(5, ge=0, le=100, example=4, functions=(TURN_BATCH,))
    model: str = setting(
        "claude-sonnet-5-5", min_length=1, example="claude-haiku-5-5", functions=(TURN_BATCH,)
    )
    #: checkpoints and finished-day counters expire after this many days (DynamoDB TTL)
    retention_days: int = setting(30, ge=1, le=3650, example=45, functions=SESSIONS)
    #: the execution timeout; a slot of the concurrency cap is reclaimed after it
    session_timeout_seconds: int = setting(3 * 3600, ge=60, example=7200, functions=(POLL,))
    #: the month's model spend (USD) at which new sessions pause until the next month; 0: no budget
    monthly_budget_usd: float = setting(0.0, ge=0, le=1_000_000, example=50.0, functions=(POLL, SESSION_END))
    # port sheet sync
    #: also read by the turn batch: a configured sheet enables the `read_port_sheet` tool
    spreadsheet_id: str = setting("", example="sheet-abc123", functions=(SHEET_SYNC, TURN_BATCH))
    sheet_range: str = setting("Ports!A1:F", min_length=1, example="Ports!A1:H", functions=(SHEET_SYNC,))
    sheet_key_column: str = setting("port", min_length=1, example="harbour", functions=(SHEET_SYNC,))
    #: used when the stored token does not say whether its OAuth app is in Testing status
    google_app_testing: bool = setting(True, example=False, functions=(SHEET_SYNC,))
    # work tools
    #: static sites (S3 bucket + CloudFront distribution) the agent edits and deploys
    sites: Sites = setting({}, example=EXAMPLE_SITES, functions=(TURN_BATCH,))
    # hosted work tools (jada/tool_settings.py has their shapes)
    server_tools: ServerTools = setting(
        [],
        example=["web_search", {"name": "web_fetch", "allowedDomains": ["sailjada.com"], "maxUses": 3}],
        functions=(TURN_BATCH,),
    )
    mcp_servers: McpServers = setting(
        [],
        example=[
            {"name": "apps-script", "url": "https://mcp.example.com/mcp",
             "tokenSecret": "jada/mcp/apps-script", "allowedTools": ["update_script"]}
        ],
        functions=(TURN_BATCH,),
    )  # fmt: skip
    # deployment only
    poll_rate: Rate = setting("1 minute", example="2 minutes", functions=INFRA)
    #: also read by the turn batch: `read_port_sheet` calls a sheet older than 2 sync periods stale
    sync_rate: Rate = setting("30 minutes", example="1 hour", functions=(TURN_BATCH,))
    #: the Powertools public layer release (an SSM parameter per release)
    powertools_version: str = setting("3.37.0", pattern=r"^\d+\.\d+\.\d+$", example="3.36.0", functions=INFRA)

    def __hash__(self) -> int:  # list- and object-valued settings are not hashable themselves
        return hash(self.model_dump_json())

    @model_validator(mode="after")
    def _handoff_before_limit(self) -> Self:
        if self.handoff_margin >= self.turns_per_session:
            object.__setattr__(self, "handoff_margin", max(0, self.turns_per_session - 1))
        return self

    @classmethod
    def parse(cls, values: Mapping[str, Any], *, key: Callable[[SettingSpec], str]) -> Self:
        """Settings from values by field name; text is read as the field's type. Raises
        ConfigurationError naming every bad value by `key(spec)`."""
        specs = {spec.name: spec for spec in declared()}
        given = {name: specs[name].read(value) for name, value in values.items() if name in specs}
        try:
            return cls.model_validate(given)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else ""
                where = key(specs[name]) if name in specs else "settings"
                problems.append(f"{where} {problem(err)}")
            raise ConfigurationError("; ".join(problems)) from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        values = {s.name: env[s.env_var] for s in declared() if s.env_var and s.env_var in env}
        try:
            return cls.parse(values, key=lambda s: str(s.env_var))
        except ConfigurationError as exc:
            raise ConfigurationError(f"invalid configuration: {exc.message}") from None

    def environment(self, function: str) -> dict[str, str]:
        """The environment variables of the settings `function` reads."""
        return {str(s.env_var): s.text(getattr(self, s.name)) for s in declared() if function in s.functions}


@dataclass(frozen=True)
class SettingSpec:
    """What is derived from one field of `Settings`."""

    name: str
    functions: tuple[str, ...]
    example: Any
    text_valued: bool

    @property
    def context_key(self) -> str:
        head, *rest = self.name.split("_")
        return head + "".join(part.capitalize() for part in rest)

    @property
    def env_var(self) -> str | None:
        return self.name.upper() if self.functions else None

    @property
    def scenario_key(self) -> str:
        return f"settings.{self.name}"

    def read(self, value: Any) -> Any:
        """A value as given; text (an environment variable, `-c key=value`) for a field that is
        not text is JSON (`7`, `false`, `["a"]`), or left for validation to reject."""
        if self.text_valued or not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value

    def text(self, value: Any) -> str:
        """The environment variable's value: text as is, anything else as JSON."""
        return value if isinstance(value, str) else json.dumps(value)


@cache
def declared() -> tuple[SettingSpec, ...]:
    """Every setting, in declaration order."""
    specs = []
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        functions = extra.get("functions")
        if not isinstance(functions, list) or not field.examples:
            raise TypeError(f"Settings.{name} is not declared with setting(...)")
        specs.append(
            SettingSpec(name, tuple(str(f) for f in functions), field.examples[0], field.annotation is str)
        )
    return tuple(specs)


def problem(err: ErrorDetails) -> str:
    """What is wrong with a value, as a phrase to follow its name: `must be at least 1, got 0`."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in {"int_parsing", "int_from_float", "int_type"}:
        what = "must be a whole number"
    elif kind in {"bool_parsing", "bool_type"}:
        what = "must be true or false"
    elif kind in {"greater_than_equal", "less_than_equal"}:
        what = f"must be at {'least' if 'ge' in ctx else 'most'} {ctx.get('ge', ctx.get('le'))}"
    elif kind == "value_error":
        what = str(err["msg"]).removeprefix("Value error, ")
    else:
        what = f"is invalid: {err['msg']}"
    return f"{what}, got {err.get('input')!r}"


class EnvModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        values = {name: env[name.upper()] for name in cls.model_fields if name.upper() in env}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{str(err['loc'][0]).upper() if err['loc'] else '?'}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigurationError(f"invalid configuration: {problems}") from exc


class Resources(EnvModel):
    """Names of the deployed resources a function talks to (set by the CDK app)."""

    tasks_table: str = ""
    counters_table: str = ""
    checkpoints_table: str = ""
    checkpoint_bucket: str = ""
    state_machine_arn: str = ""
    anthropic_secret_id: str = ""
    google_token_secret_id: str = ""
    sheet_table: str = ""
    alert_topic_arn: str = ""
    #: Google's endpoints; empty: Google's own (the local cloud and tests point them at fakes)
    google_oauth_token_uri: str = ""
    sheets_api_endpoint: str = ""
    #: the workspace bucket (the editor's files, each site's sources under sites/<site>/)
    workspace_bucket: str = ""
    #: the deploy records, plans and approval requests of deploy_site
    deploys_table: str = ""

    def require(self, *names: str) -> None:
        missing = [n.upper() for n in names if not getattr(self, n)]
        if missing:
            raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
