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
    """The checkout holding cdk.json, infra/ and functions/ (found without starting the CDK)."""
    _quiet_jsii()
    import jada_infra

    return Path(jada_infra.__file__).resolve().parents[2]


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


def synthesize_apart(context: dict[str, Any]) -> Synthesized:
    """`synthesize` in a child process in its own session: the CDK's Node.js kernel neither lives on
    in this process (memory) nor dies on this terminal's Ctrl-C (a traceback at exit)."""
    import subprocess
    import sys

    with tempfile.TemporaryDirectory(prefix="jada-synth-") as folder:
        given, out = Path(folder) / "context.json", Path(folder) / "template.json"
        given.write_text(json.dumps(context), encoding="utf-8")
        done = subprocess.run(  # noqa: S603 - this interpreter, this module
            [sys.executable, "-m", "jada_tools.local.synth", str(given), str(out)],
            capture_output=True,
            text=True,
            start_new_session=True,
            check=False,
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"synthesizing the CDK app failed: {last}")
        template = json.loads(out.read_text(encoding="utf-8"))
    return Synthesized(template=template, context=context)


if __name__ == "__main__":  # synthesize_apart's child: CONTEXT_JSON_FILE TEMPLATE_JSON_FILE
    import sys

    _context = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    Path(sys.argv[2]).write_text(json.dumps(synthesize(_context).template), encoding="utf-8")
