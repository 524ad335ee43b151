"""Every setting from cdk.json context reaches what reads it: the functions' environments (runtime
settings) or the CDK app (infra-only ones), and a bad value stops the synth naming its context key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jada.settings import Settings, SettingSpec, declared
from jada.telemetry import STACK_NAME

CONTEXT = {
    "aws:cdk:bundling-stacks": [],
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:disable-asset-staging": True,
    "alertEmail": "ops@example.com",
}
EXAMPLES = {spec.context_key: spec.example for spec in declared()}
RUNTIME = [spec for spec in declared() if spec.env_var]
INFRA_ONLY = [spec for spec in declared() if not spec.env_var]


def spec_id(spec: SettingSpec) -> str:
    return spec.name


@pytest.fixture(autouse=True)
def _no_builtin_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDK_VALIDATION", "false")


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any]]:
    """The app with every setting at its (non-default) example value in the context."""
    from jada_infra.app import build_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDK_VALIDATION", "false")
        app = build_app(
            context={**CONTEXT, **EXAMPLES}, outdir=str(tmp_path_factory.mktemp("out")), nag=False
        )
        template = app.synth().get_stack_by_name(STACK_NAME).template
    return app.node.find_child(STACK_NAME), template


def environments(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """functions/<folder> -> the environment variables of the function built from it."""
    found = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            folder = Path(resource["Metadata"]["aws:asset:path"]).name
            found[folder] = resource["Properties"]["Environment"]["Variables"]
    return found


@pytest.mark.parametrize("spec", RUNTIME, ids=spec_id)
def test_every_runtime_setting_reaches_the_functions_that_read_it(
    synthesized: tuple[Any, dict[str, Any]], spec: SettingSpec
) -> None:
    _, template = synthesized
    envs = environments(template)
    assert set(spec.functions) <= set(envs)
    for folder, env in envs.items():
        if folder in spec.functions:
            assert env[spec.env_var] == spec.text(spec.example), folder
            assert getattr(Settings.from_env(env), spec.name) == spec.example
        else:
            assert spec.env_var not in env, f"{folder} does not read {spec.name}"


@pytest.mark.parametrize("spec", INFRA_ONLY, ids=spec_id)
def test_every_infra_only_setting_reaches_the_cdk_app(
    synthesized: tuple[Any, dict[str, Any]], spec: SettingSpec
) -> None:
    stack, template = synthesized
    assert getattr(stack.config.settings, spec.name) == spec.example
    assert not any(spec.name.upper() in env for env in environments(template).values())


def test_infra_only_settings_shape_the_template(synthesized: tuple[Any, dict[str, Any]]) -> None:
    _, template = synthesized
    schedules = [r for r in template["Resources"].values() if r["Type"] == "AWS::Scheduler::Schedule"]
    assert sorted(s["Properties"]["ScheduleExpression"] for s in schedules) == [
        "rate(1 hour)",
        "rate(2 minutes)",
    ]
    assert f"/{EXAMPLES['powertoolsVersion']}" in json.dumps(template["Parameters"])


def bad_value(spec: SettingSpec) -> Any:
    """A value of the wrong kind for the setting: a number for text, text for anything else."""
    return 12345 if isinstance(spec.example, str) else "not-a-value"


@pytest.mark.parametrize("spec", declared(), ids=spec_id)
def test_a_bad_value_stops_the_synth_naming_the_context_key(tmp_path: Path, spec: SettingSpec) -> None:
    from jada_infra.app import build_app

    with pytest.raises(ValueError, match=f"context value {spec.context_key} "):
        build_app(context={**CONTEXT, spec.context_key: bad_value(spec)}, outdir=str(tmp_path), nag=False)


def test_every_bad_value_is_named_at_once(tmp_path: Path) -> None:
    from jada_infra.app import build_app

    with pytest.raises(ValueError) as err:
        build_app(
            context={**CONTEXT, "sessionsPerDay": 0, "syncRate": "often"}, outdir=str(tmp_path), nag=False
        )
    assert "context value sessionsPerDay must be at least 1, got 0" in str(err.value)
    assert "context value syncRate must look like '1 minute'" in str(err.value)


def test_cdk_json_keys_are_the_derived_context_keys() -> None:
    # users rely on the keys in cdk.json: each is a declared setting's key (or alertEmail / a CDK flag)
    root = Path(__file__).resolve().parents[2]
    context = json.loads((root / "cdk.json").read_text())["context"]
    ours = {key for key in context if not key.startswith(("@", "aws:"))} - {"alertEmail"}
    assert ours <= {spec.context_key for spec in declared()}
