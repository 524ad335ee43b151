"""State: the task queue, the quota counters, the session checkpoints and their overflow bucket."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct
from jada.stores import schema
from jada.stores.checkpoints import OBJECTS_PREFIX
from jada.stores.counters import SPEND_KEY_PREFIXES

from jada_infra.checkov import NO_CMK, skip_checkov

S_ = dynamodb.AttributeType.STRING


def _key(name: str | None) -> dynamodb.Attribute | None:
    return dynamodb.Attribute(name=name, type=S_) if name else None


def table_from_spec(scope: Construct, cid: str, spec: schema.TableSpec) -> dynamodb.Table:
    """An on-demand, encrypted table with PITR and TTL (`expires_at`), keyed as `spec` says."""
    table = dynamodb.Table(
        scope,
        cid,
        partition_key=dynamodb.Attribute(name=spec.pk, type=S_),
        sort_key=_key(spec.sk),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        time_to_live_attribute="expires_at",
        removal_policy=RemovalPolicy.RETAIN,
    )
    skip_checkov(table, "CKV_AWS_119", NO_CMK)
    for index in spec.indexes:
        table.add_global_secondary_index(
            index_name=index.name,
            partition_key=dynamodb.Attribute(name=index.pk, type=S_),
            sort_key=_key(index.sk),
        )
    return table


class State(Construct):
    def __init__(self, scope: Construct, cid: str, *, retention_days: int = 30) -> None:
        super().__init__(scope, cid)
        self.tasks = table_from_spec(self, "Tasks", schema.TASKS)
        self.counters = table_from_spec(self, "Counters", schema.COUNTERS)
        self.checkpoints = table_from_spec(self, "Checkpoints", schema.CHECKPOINTS)
        self.checkpoint_bucket = s3.Bucket(
            self,
            "CheckpointBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            # versioned: a finished task's objects are deleted (a delete marker) and their data versions
            # expire `retention_days` later; objects of a task that is not finished never expire
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=Duration.days(retention_days),
                    expired_object_delete_marker=True,
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        skip_checkov(
            self.checkpoint_bucket,
            "CKV_AWS_18",
            "Only oversized agent turns, written and read by the turn batch; CloudTrail audits access "
            "(the cdk-nag S1 acknowledgment says the same).",
        )
        Validations.of(self.checkpoint_bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="The bucket only holds oversized agent turns that expire with the checkpoints; "
                "reads and writes are audited through CloudTrail, not a second logging bucket.",
            )
        )

    def grant_task_access(self, grantee: iam.IGrantable) -> None:
        self.tasks.grant_read_write_data(grantee)

    def grant_checkpoints(self, grantee: iam.IGrantable) -> None:
        self.checkpoints.grant_read_write_data(grantee)
        self.checkpoint_bucket.grant_read_write(grantee)

    def grant_history_settlement(self, grantee: iam.IGrantable) -> None:
        """What `CheckpointStore.release` / `keep(restore_objects=False)` do at a session's end: list
        and re-stamp (or drop) a task's turns, list and delete its objects. Nothing is read back."""
        self.checkpoints.grant(grantee, "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
        # a delete on the versioned bucket only hides an object (a delete marker): no version is erased
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["s3:DeleteObject"],
            resource_arns=[self.checkpoint_bucket.arn_for_objects(f"{OBJECTS_PREFIX}*")],
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["s3:ListBucket"],
            resource_arns=[self.checkpoint_bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{OBJECTS_PREFIX}*"]}},
        )

    def grant_spend_recording(self, grantee: iam.IGrantable) -> None:
        """The spend counters only (`spend#...` totals and `spent#...` per-turn markers), written
        in one transaction: no other counter of the table."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:ConditionCheckItem"],
                resources=[self.counters.table_arn],
                conditions={
                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{p}*" for p in SPEND_KEY_PREFIXES]}
                },
            )
        )

    def environment(self) -> dict[str, str]:
        return {
            "TASKS_TABLE": self.tasks.table_name,
            "COUNTERS_TABLE": self.counters.table_name,
            "CHECKPOINTS_TABLE": self.checkpoints.table_name,
            "CHECKPOINT_BUCKET": self.checkpoint_bucket.bucket_name,
        }
