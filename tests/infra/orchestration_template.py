"""Synthesize the app once and read the orchestration parts of the template (shared by tests)."""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

CONTEXT = {"aws:cdk:bundling-stacks": [], "alertEmail": "ops@example.com"}


@cache
def template(outdir: str) -> dict[str, Any]:
    from jada_infra.app import build_app

    saved = os.environ.get("CDK_VALIDATION")
    os.environ["CDK_VALIDATION"] = "false"  # skip CloudFormation's built-in validation (~4 s)
    try:
        app = build_app(context=dict(CONTEXT), outdir=outdir)
        result: dict[str, Any] = app.synth().get_stack_by_name("Jada").template
    finally:
        if saved is None:
            os.environ.pop("CDK_VALIDATION", None)
        else:
            os.environ["CDK_VALIDATION"] = saved
    return result


def resources(tpl: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in tpl["Resources"].items() if r["Type"] == rtype}


def only(tpl: dict[str, Any], rtype: str, prefix: str = "") -> tuple[str, dict[str, Any]]:
    found = [(lid, r) for lid, r in resources(tpl, rtype).items() if lid.startswith(prefix)]
    assert len(found) == 1, f"expected one {rtype} {prefix}*, found {[lid for lid, _ in found]}"
    return found[0]


FUNCTIONS = {
    "poll": "OrchestrationPoll",
    "turn_batch": "OrchestrationTurnBatch",
    "session_end": "OrchestrationSessionEnd",
}


def function_id(tpl: dict[str, Any], folder: str) -> str:
    """The logical id of the function built from functions/<folder>."""
    return only(tpl, "AWS::Lambda::Function", FUNCTIONS[folder])[0]


def resolve(value: Any, arns: dict[str, str], partition: str = "aws") -> Any:
    """Resolve Fn::Join / Ref AWS::Partition / Fn::GetAtt [id, Arn] with the given ARNs."""
    if isinstance(value, dict):
        if "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return sep.join(str(resolve(p, arns, partition)) for p in parts)
        if "Ref" in value:
            refs = {"AWS::Partition": partition, "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}
            return refs.get(value["Ref"], arns.get(value["Ref"], value["Ref"]))
        if "Fn::GetAtt" in value:
            return arns[value["Fn::GetAtt"][0]]
        return {k: resolve(v, arns, partition) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, arns, partition) for v in value]
    return value


def state_machine_definition(tpl: dict[str, Any], arns: dict[str, str]) -> dict[str, Any]:
    _, machine = only(tpl, "AWS::StepFunctions::StateMachine")
    result: dict[str, Any] = json.loads(resolve(machine["Properties"]["DefinitionString"], arns))
    return result
