"""The synthesized workspace and sites: the bucket's protections, the deploys table, the outputs, and
the turn batch's policy naming exactly the configured buckets and distributions (cdk-nag on)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template
from jada.stores import schema
from jada_tools.local.synth import LOCAL_CONTEXT

from tests.infra.conftest import only
from tests.infra.test_orchestration import fn, policy_statements
from tests.infra.test_state import spec_of

SITES = {
    "sailjada.com": {"bucket": "sailjada-site", "distributionId": "E2QWRUHAPOMQZL"},
    "86from.com": {"bucket": "86from-site", "distributionId": "E3ABCDEFGHIJKL", "approval": "operator"},
}
CONTEXT = {**LOCAL_CONTEXT, "alertEmail": "ops@example.com", "sites": SITES}


@pytest.fixture(scope="module")
def tpl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from jada_infra.app import STACK_NAME, build_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDK_VALIDATION", "false")
        app = build_app(context=CONTEXT, outdir=str(tmp_path_factory.mktemp("cdk")))
        # cdk-nag runs here: any finding not acknowledged with a reason fails the synth
        return Template.from_stack(app.node.find_child(STACK_NAME)).to_json()  # type: ignore[arg-type]


def resolved(value: Any) -> str:
    """An ARN as text: `{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ...]]}` -> `arn:aws:...`."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        return "".join(resolved(v) for v in value["Fn::Join"][1])
    if value == {"Ref": "AWS::Partition"}:
        return "aws"
    if value == {"Ref": "AWS::AccountId"}:
        return "123456789012"
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{value['Fn::GetAtt'][0]}.{value['Fn::GetAtt'][1]}>"
    return json.dumps(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements_with(tpl: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    found = []
    for st in policy_statements(tpl, "turn_batch"):
        if any(a.startswith(prefix) for a in as_list(st["Action"])):
            found.append(st)
    return found


def resources(statements: list[dict[str, Any]]) -> set[str]:
    return {resolved(r) for st in statements for r in as_list(st["Resource"])}


def actions_on(tpl: dict[str, Any], reaches: Any) -> set[str]:
    """The turn batch's S3 actions on the resources for which `reaches(arn)` holds."""
    return {
        action
        for st in statements_with(tpl, "s3:")
        if any(reaches(resolved(r)) for r in as_list(st["Resource"]))
        for action in as_list(st["Action"])
    }


def test_the_turn_batch_reaches_exactly_the_configured_buckets_and_distributions(tpl: dict[str, Any]) -> None:
    workspace = only(tpl, "AWS::S3::Bucket", "WorkspaceBucket")[0]
    checkpoints = only(tpl, "AWS::S3::Bucket", "StateCheckpointBucket")[0]
    s3 = resources(statements_with(tpl, "s3:"))
    sites = {r for r in s3 if r.startswith("arn:aws:s3:::")}
    assert sites == {
        "arn:aws:s3:::sailjada-site", "arn:aws:s3:::sailjada-site/*",
        "arn:aws:s3:::86from-site", "arn:aws:s3:::86from-site/*",
    }  # fmt: skip
    assert s3 - sites == {
        f"<{workspace}.Arn>",
        f"<{workspace}.Arn>/*",
        f"<{checkpoints}.Arn>",
        f"<{checkpoints}.Arn>/*",
    }
    cloudfront = statements_with(tpl, "cloudfront:")
    assert resources(cloudfront) == {
        "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL",
        "arn:aws:cloudfront::123456789012:distribution/E3ABCDEFGHIJKL",
    }
    assert {a for st in cloudfront for a in as_list(st["Action"])} == {
        "cloudfront:CreateInvalidation", "cloudfront:GetInvalidation", "cloudfront:ListInvalidations",
    }  # fmt: skip
    # the site buckets: objects read, written and deleted, listing; nothing else (no bucket policy, no ACL)
    site_actions = actions_on(tpl, lambda arn: arn.startswith("arn:aws:s3:::"))
    assert site_actions == {"s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    # the workspace: no deletes (the editor has no delete; versions stay for rollbacks)
    workspace_actions = actions_on(tpl, lambda arn: arn.startswith(f"<{workspace}"))
    assert workspace_actions == {
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
    }


def test_no_other_function_reaches_the_sites_or_the_workspace(tpl: dict[str, Any]) -> None:
    workspace = only(tpl, "AWS::S3::Bucket", "WorkspaceBucket")[0]
    for folder in ("poll", "session_end", "sheet_sync"):
        text = json.dumps(policy_statements(tpl, folder))
        assert "cloudfront:" not in text
        assert "sailjada-site" not in text
        assert workspace not in text


def test_without_sites_the_turn_batch_gets_no_site_or_cloudfront_access(app_template: dict[str, Any]) -> None:
    text = json.dumps(policy_statements(app_template, "turn_batch"))
    assert "cloudfront:" not in text
    assert "s3:::" not in text
    assert "WorkspaceBucket" in text  # the workspace is always there (the editor)


def test_the_workspace_bucket_is_versioned_encrypted_private_and_tls_only(tpl: dict[str, Any]) -> None:
    lid, bucket = only(tpl, "AWS::S3::Bucket", "WorkspaceBucket")
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True,
        "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }  # fmt: skip
    assert bucket["DeletionPolicy"] == "Retain"
    [policy] = [p for p in tpl["Resources"].values() if p["Type"] == "AWS::S3::BucketPolicy"
                and p["Properties"]["Bucket"] == {"Ref": lid}]  # fmt: skip
    [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


def test_the_deploys_table_follows_the_schema_and_the_outputs_name_everything(tpl: dict[str, Any]) -> None:
    _, table = only(tpl, "AWS::DynamoDB::Table", "SitesDeploys")
    assert spec_of(table["Properties"]) == schema.DEPLOYS
    outputs = tpl["Outputs"]
    assert {"WorkspaceBucketName", "DeploysTableName", "SitesJson"} <= set(outputs)
    assert json.loads(outputs["SitesJson"]["Value"]) == {
        "86from.com": {**SITES["86from.com"]},
        "sailjada.com": {**SITES["sailjada.com"], "approval": "auto"},
    }
    env = fn(tpl, "turn_batch")["Environment"]["Variables"]
    assert {"WORKSPACE_BUCKET", "DEPLOYS_TABLE", "SITES"} <= set(env)
    assert json.loads(env["SITES"]) == json.loads(outputs["SitesJson"]["Value"])


@pytest.mark.parametrize(
    ("site", "message"),
    [
        ({"bucket": "Sail_Jada", "distributionId": "E2QWRUHAPOMQZL"}, "bucket must be an S3 bucket"),
        ({"bucket": "sailjada-site", "distributionId": "dxyz.cloudfront.net"}, "distributionId"),
        ({"bucket": "sailjada-site", "distributionId": "E2QWRUHAPOMQZL", "approval": "ask"},
         "approval must be one of auto, operator"),
    ],
)  # fmt: skip
def test_a_bad_site_stops_the_synth_naming_the_context_key(tmp_path: Path, site: Any, message: str) -> None:
    from jada_infra.app import build_app

    with pytest.raises(ValueError, match=rf"context value sites site 'sailjada\.com': .*{message}"):
        build_app(context={**CONTEXT, "sites": {"sailjada.com": site}}, outdir=str(tmp_path), nag=False)
