"""checkov findings the stack accepts, skipped in the template itself with the reason, the way the
cdk-nag acknowledgments carry theirs. checkov reads a resource's
`Metadata: {"checkov": {"skip": [{"id": "CKV_AWS_...", "comment": "why"}]}}`;
`tests/infra/test_scanners.py` runs checkov on the synthesized template and fails on any finding
that is neither fixed nor skipped here.

The choices that apply to every resource of a kind live in the factory that makes that kind
(`python_function`, `table_from_spec`, `dead_letter_queue`); the rest beside their resource."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnResource
from constructs import IConstruct

METADATA_KEY = "checkov"

#: customer-managed KMS keys: AWS-owned/managed keys already encrypt at rest (docs/decision_log.md)
NO_CMK = (
    "Encrypted at rest with an AWS managed key; a customer-managed KMS key would cost $1/month each "
    "plus requests and protects nothing more for a single-operator stack (decision log, State)."
)


def skip_checkov(construct: IConstruct, check_id: str, reason: str) -> None:
    """Skip `check_id` on `construct`'s CloudFormation resource (its default child for an L2),
    with `reason` written in the template. Skipping the same check again replaces the reason."""
    if not reason.strip():
        raise ValueError(f"skipping {check_id} needs a reason")
    resource = cfn_resource(construct)
    current: dict[str, Any] = dict(resource.get_metadata(METADATA_KEY) or {})
    skips = [s for s in current.get("skip", []) if s.get("id") != check_id]
    skips.append({"id": check_id, "comment": reason})
    resource.add_metadata(METADATA_KEY, {**current, "skip": skips})


def cfn_resource(construct: IConstruct) -> CfnResource:
    if isinstance(construct, CfnResource):
        return construct
    child = construct.node.default_child
    if not isinstance(child, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to annotate")
    return child
