"""The `sites` setting: `{"<site>": {"bucket": ..., "distributionId": ..., "approval": "auto"}}`.

Pure validation, shared by the CDK app (cdk.json context), the functions (the SITES variable) and
the CLI (the stack's SitesJson output). A bad entry is a ValueError naming the site and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: a site's name is a host name: it is also its folder in the workspace (`/sites/<site>/`)
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
SITE_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
#: S3 general purpose bucket naming rules
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
#: CloudFront distribution ids: capital letters and digits (e.g. E2QWRUHAPOMQZL)
DISTRIBUTION_ID = re.compile(r"^[A-Z0-9]{10,20}$")
APPROVALS = ("auto", "operator")
FIELDS = ("bucket", "distributionId", "approval")


class SiteConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    bucket: str
    distribution_id: str = Field(alias="distributionId")
    #: `auto`: deploy_site publishes; `operator`: it waits for the operator's approval
    approval: Literal["auto", "operator"] = "auto"

    @property
    def needs_approval(self) -> bool:
        return self.approval == "operator"

    def as_setting(self) -> dict[str, str]:
        return {"bucket": self.bucket, "distributionId": self.distribution_id, "approval": self.approval}


def bucket_problem(name: str) -> str | None:
    if not BUCKET_NAME.match(name) or ".." in name or IP_ADDRESS.match(name):
        return (
            "must be an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit)"
        )
    if name.startswith("xn--") or name.endswith("-s3alias"):
        return "must be an S3 bucket name (no xn-- prefix, no -s3alias suffix)"
    return None


def _problems(site: str, value: Any) -> list[str]:
    if not SITE_NAME.match(site):
        return [f"site name {site!r} must be a lower-case host name such as sailjada.com"]
    if not isinstance(value, Mapping):
        return [f"site {site!r} must be an object with bucket, distributionId and approval"]
    problems = []
    unknown = sorted(set(value) - set(FIELDS))
    if unknown:
        problems.append(f"site {site!r}: unknown field {', '.join(unknown)} (use {', '.join(FIELDS)})")
    bucket = value.get("bucket")
    problem = bucket_problem(bucket) if isinstance(bucket, str) else "is required: the site's S3 bucket name"
    if problem:
        problems.append(f"site {site!r}: bucket {problem}, got {bucket!r}")
    distribution = value.get("distributionId")
    if not isinstance(distribution, str) or not DISTRIBUTION_ID.match(distribution):
        problems.append(
            f"site {site!r}: distributionId must be a CloudFront distribution id such as E2QWRUHAPOMQZL "
            f"(capital letters and digits), got {distribution!r}"
        )
    approval = value.get("approval", "auto")
    if approval not in APPROVALS:
        problems.append(f"site {site!r}: approval must be one of {', '.join(APPROVALS)}, got {approval!r}")
    return problems


def validate_sites(value: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The setting's value, each site checked and normalized (`approval` filled in)."""
    problems = [p for site, config in value.items() for p in _problems(site, config)]
    buckets = [config.get("bucket") for config in value.values() if isinstance(config, Mapping)]
    if not problems and len(set(buckets)) != len(buckets):
        problems.append("two sites share one bucket; give each site its own bucket")
    if problems:
        raise ValueError("; ".join(problems))
    return {site: SiteConfig.model_validate(config).as_setting() for site, config in sorted(value.items())}


def sites_of(value: Mapping[str, Mapping[str, Any]]) -> dict[str, SiteConfig]:
    """The validated setting as SiteConfig objects, by site name."""
    return {site: SiteConfig.model_validate(dict(config)) for site, config in value.items()}
