"""Configuration, validated at handler entry (never read at import time).

Each field is read from the environment variable named like the field in upper case
(`sessions_per_day` <- `SESSIONS_PER_DAY`). The CDK app sets them from `cdk.json` context.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from jada.errors import ConfigurationError


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


class Settings(EnvModel):
    """Operator-facing knobs (cdk.json context: sessionsPerDay, turnsPerSession, ...)."""

    sessions_per_day: int = Field(5, ge=1, le=1000)
    turns_per_session: int = Field(30, ge=1, le=500)
    max_sessions_per_task: int = Field(3, ge=1, le=100)
    turns_per_batch: int = Field(5, ge=1, le=100)
    max_concurrent_sessions: int = Field(2, ge=1, le=100)
    #: the agent is asked for a handoff note this many turns before the limit
    handoff_margin: int = Field(5, ge=0, le=100)
    model: str = "claude-sonnet-5-5"
    #: checkpoints and finished-day counters expire after this many days (DynamoDB TTL)
    retention_days: int = Field(30, ge=1, le=3650)
    #: a slot of the concurrency cap is reclaimed after this many seconds (the execution timeout)
    session_timeout_seconds: int = Field(3 * 3600, ge=60)

    @model_validator(mode="after")
    def _handoff_before_limit(self) -> Self:
        if self.handoff_margin >= self.turns_per_session:
            object.__setattr__(self, "handoff_margin", max(0, self.turns_per_session - 1))
        return self


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

    def require(self, *names: str) -> None:
        missing = [n.upper() for n in names if not getattr(self, n)]
        if missing:
            raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
