"""Sites: the deploy records table, and the turn batch's access to exactly the configured sites'
buckets and CloudFront distributions (the `sites` setting). The sites themselves (bucket and
distribution) exist outside the stack: jada publishes to a user's existing site."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from jada.sites.config import sites_of
from jada.stores import schema

from jada_infra.state import table_from_spec


class Sites(Construct):
    def __init__(self, scope: Construct, cid: str, *, sites: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(scope, cid)
        self.sites = sites_of(sites)
        self.setting = dict(sites)
        self.deploys = table_from_spec(self, "Deploys", schema.DEPLOYS)

    def bucket_arns(self) -> list[str]:
        return [f"arn:{Stack.of(self).partition}:s3:::{site.bucket}" for site in self.sites.values()]

    def distribution_arns(self) -> list[str]:
        stack = Stack.of(self)
        return [
            stack.format_arn(
                service="cloudfront", region="", resource="distribution", resource_name=site.distribution_id
            )
            for site in self.sites.values()
        ]

    def grant_agent(self, function: lambda_.Function) -> None:
        """The turn batch: the deploy records, and for each configured site its bucket (list, read,
        write, delete objects: a deploy copies workspace versions into it) and its distribution
        (create and read invalidations). Nothing when no site is configured."""
        self.deploys.grant_read_write_data(function)
        function.add_environment("DEPLOYS_TABLE", self.deploys.table_name)
        if not self.sites:
            return
        buckets = self.bucket_arns()
        function.add_to_role_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=buckets))
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources=[f"{arn}/*" for arn in buckets],
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "cloudfront:CreateInvalidation",
                    "cloudfront:GetInvalidation",
                    "cloudfront:ListInvalidations",
                ],
                resources=self.distribution_arns(),
            )
        )
        self._acknowledge(function)

    def _acknowledge(self, function: lambda_.Function) -> None:
        """cdk-nag: object-level access to a site's bucket names its objects with `/*`."""
        stack = Stack.of(self)
        findings = {}
        for arn in self.bucket_arns():
            shown = arn.replace(f"arn:{stack.partition}:", "arn:<AWS::Partition>:")
            findings[f"AwsSolutions-IAM5[Resource::{shown}/*]"] = (
                "deploy_site writes, replaces and deletes any file of this configured site's bucket, and "
                "only of the buckets the sites setting names."
            )
        for rule, reason in findings.items():
            Validations.of(function).acknowledge(Acknowledgment(id=rule, reason=reason))

    def outputs(self) -> dict[str, str]:
        return {
            "DeploysTableName": self.deploys.table_name,
            "SitesJson": json.dumps(self.setting, sort_keys=True),
        }
