"""A scenario's `settings` reach the CDK context by each setting's derived key, validated by the
settings model itself."""

from __future__ import annotations

import pytest
from jada.settings import Settings, SettingSpec, declared
from jada_tools.local.scenario import ScenarioError, parse_scenario
from jada_tools.local.synth import LOCAL_CONTEXT, scenario_context

BASE = {"start": "2026-05-12T22:00:00Z", "end": "2026-05-13T03:00:00Z"}
CDK_JSON = {"alertEmail": "ops@example.com", "sessionsPerDay": 5, "@aws-cdk/core:flag": True}


def spec_id(spec: SettingSpec) -> str:
    return spec.name


@pytest.mark.parametrize("spec", declared(), ids=spec_id)
def test_every_scenario_setting_reaches_its_context_key(spec: SettingSpec) -> None:
    # Given a scenario that sets one setting to a value other than its default
    scenario = parse_scenario({**BASE, "settings": {spec.name: spec.example}})
    # When it is mapped onto cdk.json's context
    ctx = scenario_context(scenario, CDK_JSON)
    # Then the setting's context key holds it and the rest of the context is kept
    assert ctx[spec.context_key] == spec.example
    assert ctx["@aws-cdk/core:flag"] is True
    assert LOCAL_CONTEXT.items() <= ctx.items()


def test_unset_settings_keep_the_cdk_json_values() -> None:
    ctx = scenario_context(parse_scenario({**BASE, "settings": {"turns_per_batch": 2}}), CDK_JSON)
    assert (ctx["sessionsPerDay"], ctx["turnsPerBatch"]) == (5, 2)
    assert "turnsPerSession" not in ctx


def test_the_sheet_sync_section_sets_the_sheet_settings() -> None:
    token = {"client_id": "a", "client_secret": "b", "refresh_token": "c"}
    scenario = parse_scenario(
        {**BASE, "sheet_sync": {"spreadsheet_id": "s1", "range": "P!A:C", "token": token}}
    )
    ctx = scenario_context(scenario, CDK_JSON)
    assert (ctx["spreadsheetId"], ctx["sheetRange"]) == ("s1", "P!A:C")


BOUNDED = [
    (spec, bound)
    for spec in declared()
    for bound in Settings.model_fields[spec.name].metadata
    if hasattr(bound, "ge") or hasattr(bound, "le")
]


@pytest.mark.parametrize(("spec", "bound"), BOUNDED, ids=lambda v: getattr(v, "name", str(v)))
def test_a_value_out_of_range_is_an_error_naming_the_scenario_key(spec: SettingSpec, bound: object) -> None:
    outside = bound.ge - 1 if hasattr(bound, "ge") else bound.le + 1  # type: ignore[attr-defined]
    with pytest.raises(ScenarioError) as err:
        parse_scenario({**BASE, "settings": {spec.name: outside}})
    assert spec.scenario_key in str(err.value)


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"model": ""}, "settings.model"),
        ({"poll_rate": "every minute"}, "settings.poll_rate"),
        ({"google_app_testing": "maybe"}, "settings.google_app_testing"),
        ({"sessions_per_day": "five"}, "settings.sessions_per_day"),
    ],
)
def test_a_bad_value_of_any_type_names_the_scenario_key(settings: dict, key: str) -> None:
    with pytest.raises(ScenarioError, match=key):
        parse_scenario({**BASE, "settings": settings})


def test_unknown_settings_are_allowed_and_not_mapped() -> None:
    scenario = parse_scenario({**BASE, "settings": {"future_knob": 1, "sessions_per_day": 9}})
    assert scenario.settings.given() == {"sessions_per_day": 9}
    assert "futureKnob" not in scenario_context(scenario, CDK_JSON)
