"""The synthesized state resources: tables as jada.stores.schema says, the bucket, the topic, outputs.

One synth per module (cdk-nag on: `Template.from_stack` would raise if a finding remained)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from jada.stores import schema

CONTEXT = {"aws:cdk:bundling-stacks": [], "alertEmail": "ops@example.com"}
TABLES = {"Tasks": schema.TASKS, "Counters": schema.COUNTERS, "Checkpoints": schema.CHECKPOINTS}


def synth(tmp_path: Path, context: dict[str, Any] | None = None) -> Template:
    from jada_infra.app import STACK_NAME, build_app

    app = build_app(context={**CONTEXT, **(context or {})}, outdir=str(tmp_path))
    return Template.from_stack(app.node.find_child(STACK_NAME))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDK_VALIDATION", "false")
        return synth(tmp_path_factory.mktemp("cdk"))


def only(template: Template, kind: str, prefix: str) -> tuple[str, dict[str, Any]]:
    """The one resource of `kind` whose logical id starts with `prefix`."""
    found = {k: dict(v) for k, v in template.find_resources(kind).items() if k.startswith(prefix)}
    assert len(found) == 1, f"expected one {kind} named {prefix}*, found {sorted(found)}"
    return next(iter(found.items()))


def spec_of(props: dict[str, Any]) -> schema.TableSpec:
    """Rebuild a TableSpec from a synthesized table's properties."""

    def keys(key_schema: list[dict[str, str]]) -> tuple[str, str | None]:
        by_type = {k["KeyType"]: k["AttributeName"] for k in key_schema}
        return by_type["HASH"], by_type.get("RANGE")

    indexes = tuple(
        schema.IndexSpec(g["IndexName"], *keys(g["KeySchema"]))
        for g in props.get("GlobalSecondaryIndexes", [])
    )
    for g in props.get("GlobalSecondaryIndexes", []):
        assert g["Projection"] == {"ProjectionType": "ALL"}
    return schema.TableSpec(*keys(props["KeySchema"]), indexes=indexes)


# --- tables -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(TABLES))
def test_table_keys_and_indexes_match_the_schema(template: Template, name: str) -> None:
    _, table = only(template, "AWS::DynamoDB::Table", f"State{name}")
    props = table["Properties"]
    assert spec_of(props) == TABLES[name]
    # every key attribute is declared, as a string
    declared = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    expected = TABLES[name]
    used = {expected.pk, expected.sk, *[i.pk for i in expected.indexes], *[i.sk for i in expected.indexes]}
    assert declared == {a: "S" for a in used if a}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_tables_are_on_demand_encrypted_with_pitr_and_ttl_and_retained(template: Template, name: str) -> None:
    _, table = only(template, "AWS::DynamoDB::Table", f"State{name}")
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["DeletionPolicy"] == "Retain"
    assert "ProvisionedThroughput" not in props


def test_the_store_code_uses_the_index_names_the_template_has(template: Template) -> None:
    from jada.stores.queue import RUNNABLE_INDEX
    from jada.stores.tasks import BY_CREATED_INDEX, BY_STATUS_INDEX

    _, table = only(template, "AWS::DynamoDB::Table", "StateTasks")
    names = {g["IndexName"] for g in table["Properties"]["GlobalSecondaryIndexes"]}
    assert {BY_STATUS_INDEX, RUNNABLE_INDEX, BY_CREATED_INDEX} == names


# --- checkpoint bucket ------------------------------------------------------------------------
def test_bucket_is_encrypted_private_versioned_and_expires_deleted_objects(template: Template) -> None:
    _, bucket = only(template, "AWS::S3::Bucket", "StateCheckpointBucket")
    props = bucket["Properties"]
    rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    [rule] = [r for r in props["LifecycleConfiguration"]["Rules"] if r["Status"] == "Enabled"]
    # a live (current) object never expires: a parked task keeps its oversized turns; a finished
    # task's objects are deleted and their data versions go `retention_days` later
    assert "ExpirationInDays" not in rule
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert rule["ExpiredObjectDeleteMarker"] is True
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert bucket["DeletionPolicy"] == "Retain"


def test_bucket_policy_denies_requests_without_tls(template: Template) -> None:
    bucket_id, _ = only(template, "AWS::S3::Bucket", "StateCheckpointBucket")
    _, policy = only(template, "AWS::S3::BucketPolicy", "StateCheckpointBucketPolicy")
    assert policy["Properties"]["Bucket"] == {"Ref": bucket_id}
    denies = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denies) == 1
    assert denies[0]["Action"] == "s3:*"
    assert denies[0]["Principal"] == {"AWS": "*"}


def test_bucket_expiry_follows_the_retention_setting(tmp_path: Path) -> None:
    from aws_cdk import App, Stack
    from jada_infra.state import State

    app = App(context=CONTEXT, outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    stack = Stack(app, "S")
    State(stack, "State", retention_days=9)
    bucket = Template.from_stack(stack).find_resources("AWS::S3::Bucket")
    (props,) = [b["Properties"] for b in bucket.values()]
    assert props["LifecycleConfiguration"]["Rules"][0]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 9}


# --- alerting ---------------------------------------------------------------------------------
def test_alert_topic_is_encrypted_with_an_email_subscription(template: Template) -> None:
    topic_id, topic = only(template, "AWS::SNS::Topic", "AlertingAlertTopic")
    assert "alias/aws/sns" in str(topic["Properties"]["KmsMasterKeyId"])
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": "ops@example.com", "TopicArn": {"Ref": topic_id}},
    )


def test_alert_topic_policy_requires_tls(template: Template) -> None:
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            }
        },
    )


# --- outputs ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("output", "kind", "prefix"),
    [
        ("TasksTableName", "AWS::DynamoDB::Table", "StateTasks"),
        ("CountersTableName", "AWS::DynamoDB::Table", "StateCounters"),
        ("CheckpointsTableName", "AWS::DynamoDB::Table", "StateCheckpoints"),
        ("CheckpointBucketName", "AWS::S3::Bucket", "StateCheckpointBucket"),
        ("AlertTopicArn", "AWS::SNS::Topic", "AlertingAlertTopic"),
    ],
)
def test_outputs_name_the_resources(template: Template, output: str, kind: str, prefix: str) -> None:
    resource_id, _ = only(template, kind, prefix)
    outputs = template.find_outputs(output)
    assert outputs[output]["Value"] == {"Ref": resource_id}
