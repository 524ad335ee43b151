"""Which model a local run's sessions talk to, said before the run starts.

The offline scripted model unless `ANTHROPIC_API_KEY` or `ANTHROPIC_BASE_URL` is set; then the
real `anthropic` client calls that URL (Anthropic's own by default) with the model the settings
name. With a key set, the sessions are billed to it: the CLI warns.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: environment variables that point the handlers at a real Messages API instead of the offline model
MODEL_VARS = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL")
ANTHROPIC_API = "https://api.anthropic.com"
OFFLINE = "offline scripted model"


def uses_offline_model(environ: Mapping[str, str]) -> bool:
    return not any(environ.get(k) for k in MODEL_VARS)


@dataclass(frozen=True)
class ModelChoice:
    offline: bool
    model: str
    base_url: str = ""
    #: an API key is set: calls are billed to it
    paid: bool = False

    def line(self) -> str:
        """`Model: ...` as `jada local run` prints it at start."""
        if self.offline:
            return f"Model: {OFFLINE} (no network, no API key)"
        paid = " — this uses your paid API key" if self.paid else ""
        return f"Model: Anthropic API at {self.base_url}, model {self.model}{paid}"

    def warning(self) -> str | None:
        if not self.paid:
            return None
        return (
            f"ANTHROPIC_API_KEY is set: every session turn calls {self.base_url} with model {self.model} "
            "and is billed to that key; unset ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL for the offline "
            "scripted model"
        )


def model_choice(context: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> ModelChoice:
    """The model a run with this synth `context` (cdk.json plus the scenario's settings) uses."""
    from jada.settings import Settings, declared

    env = os.environ if environ is None else environ
    spec = next(s for s in declared() if s.name == "model")
    given = {"model": context[spec.context_key]} if spec.context_key in context else {}
    model = Settings.parse(given, key=lambda s: f"settings.{s.name}").model
    if uses_offline_model(env):
        return ModelChoice(offline=True, model=model)
    base_url = env.get("ANTHROPIC_BASE_URL") or ANTHROPIC_API
    return ModelChoice(offline=False, model=model, base_url=base_url, paid=bool(env.get("ANTHROPIC_API_KEY")))
