"""Synthesize the CDK app in-process, as `cdk synth` would (no bundling, no validation)."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jada.settings import declared
from jada.telemetry import STACK_NAME

from jada_tools.local.scenario import Scenario

#: fast and offline: no Docker/pip bundling; assets point at their source folders
LOCAL_CONTEXT = {
    "aws:cdk:bundling-stacks": [],
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:disable-asset-staging": True,
}


@dataclass(frozen=True)
class Synthesized:
    template: dict[str, Any]
    context: dict[str, Any]


def _quiet_jsii() -> None:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def repo_root() -> Path:
    """The checkout holding cdk.json, infra/ and functions/."""
    _quiet_jsii()
    from jada_infra.layers import ROOT

    return Path(ROOT)


def base_context(root: Path | None = None) -> dict[str, Any]:
    path = (root or repo_root()) / "cdk.json"
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")).get("context", {}))


def scenario_context(scenario: Scenario, base: dict[str, Any]) -> dict[str, Any]:
    """cdk.json context with every setting the scenario gives mapped onto its context key."""
    ctx = {**base, **LOCAL_CONTEXT, "alertEmail": scenario.alert_email}
    given = scenario.settings.given()
    if scenario.sheet_sync is not None:
        given.update(scenario.sheet_sync.settings())
    for spec in declared():
        if spec.name in given:
            ctx[spec.context_key] = given[spec.name]
    return ctx


def synthesize(context: dict[str, Any]) -> Synthesized:
    _quiet_jsii()
    previous = os.environ.get("CDK_VALIDATION")
    os.environ["CDK_VALIDATION"] = "false"
    try:
        from jada_infra.app import build_app

        with tempfile.TemporaryDirectory(prefix="jada-synth-") as outdir:
            assembly = build_app(context=context, outdir=outdir, nag=False).synth()
            template = assembly.get_stack_by_name(STACK_NAME).template
    finally:
        if previous is None:
            os.environ.pop("CDK_VALIDATION", None)
        else:
            os.environ["CDK_VALIDATION"] = previous
    return Synthesized(template=template, context=context)
