"""The workspace: the bucket holding the files the agent edits (each site's sources under
`sites/<site>/`, the agent's notes under `notes/`). Versioned, so every deploy records the exact
versions it published and a rollback can publish them again."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from jada_infra.checkov import skip_checkov


class Workspace(Construct):
    def __init__(self, scope: Construct, cid: str) -> None:
        super().__init__(scope, cid)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(self.bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="Only the turn batch and the operator's CLI use the workspace; object writes carry "
                "the writer's tool_use id and every version is kept, and CloudTrail records the API calls, "
                "so a second access-log bucket adds nothing.",
            )
        )
        skip_checkov(
            self.bucket,
            "CKV_AWS_18",
            "Only the turn batch and the operator's CLI use the workspace; every version is kept and "
            "CloudTrail audits access (the cdk-nag S1 acknowledgment says the same).",
        )

    def grant_agent(self, function: lambda_.Function) -> None:
        """The turn batch reads, lists and writes objects (and their versions); it deletes none."""
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket", "s3:ListBucketVersions"], resources=[self.bucket.bucket_arn]
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                resources=[self.bucket.arn_for_objects("*")],
            )
        )
        function.add_environment("WORKSPACE_BUCKET", self.bucket.bucket_name)
        stack = Stack.of(self)
        resource = self.bucket.node.default_child
        assert isinstance(resource, CfnElement)
        arn = "<" + str(stack.resolve(stack.get_logical_id(resource))) + ".Arn>"
        Validations.of(function).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::{arn}/*]",
                reason="The turn batch's editor reads and writes objects of this stack's workspace bucket "
                "only (any key: the tool itself checks every path).",
            )
        )

    def outputs(self) -> dict[str, str]:
        return {"WorkspaceBucketName": self.bucket.bucket_name}
