"""Which model a local run says it uses: offline unless the environment names a Messages API; the
model id from the settings; a warning when an API key will be billed."""

from __future__ import annotations

import pytest
from jada.errors import ConfigurationError
from jada.settings import Settings
from jada_tools.local.model_choice import model_choice, uses_offline_model
from jada_tools.local.scenario import parse_scenario
from jada_tools.local.synth import scenario_context

DEFAULT_MODEL = Settings().model
BASE = {"start": "2026-05-12T22:00:00Z", "end": "2026-05-13T03:00:00Z"}


def test_without_anthropic_variables_the_offline_model_is_used_and_said() -> None:
    choice = model_choice({}, environ={"ANTHROPIC_API_KEY": ""})
    assert choice.offline
    assert uses_offline_model({"ANTHROPIC_API_KEY": ""})
    assert choice.line() == "Model: offline scripted model (no network, no API key)"
    assert choice.warning() is None


def test_an_api_key_means_anthropic_and_a_paid_warning() -> None:
    choice = model_choice({"model": "claude-haiku-5-5"}, environ={"ANTHROPIC_API_KEY": "sk-ant-SECRET"})
    assert choice.line() == (
        "Model: Anthropic API at https://api.anthropic.com, model claude-haiku-5-5"
        " — this uses your paid API key"
    )
    warning = choice.warning()
    assert warning is not None
    assert "billed" in warning
    assert "unset ANTHROPIC_API_KEY" in warning
    assert "SECRET" not in choice.line() + warning


def test_a_base_url_without_a_key_is_named_but_not_billed() -> None:
    choice = model_choice({}, environ={"ANTHROPIC_BASE_URL": "http://127.0.0.1:8123"})
    assert choice.line() == f"Model: Anthropic API at http://127.0.0.1:8123, model {DEFAULT_MODEL}"
    assert choice.warning() is None


def test_the_model_comes_from_the_scenario_settings_over_cdk_json() -> None:
    scenario = parse_scenario({**BASE, "settings": {"model": "claude-opus-5-5"}})
    context = scenario_context(scenario, {"model": "claude-haiku-5-5"})
    assert model_choice(context, environ={"ANTHROPIC_API_KEY": "k"}).model == "claude-opus-5-5"
    assert model_choice(scenario_context(parse_scenario(BASE), {"model": "claude-haiku-5-5"}), {}).model == (
        "claude-haiku-5-5"
    )


def test_an_empty_model_in_cdk_json_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"settings\.model"):
        model_choice({"model": ""}, environ={})
