"""A scenario's `sites` and `mcp_servers` in the local cloud.

Each site is a user's existing static site: a bucket holding the scenario's files and a CloudFront
distribution, both in the emulated AWS but outside the stack. The stack is synthesized with them in
its `sites` setting (a fixed bucket name and distribution id per site, so the synthesis needs no
AWS), and before the run starts the live files are imported into the workspace under
`/sites/<site>/` by the code `jada sites import` runs. MCP servers' tokens go into emulated Secrets
Manager secrets that the `mcpServers` setting names.

After the run, `deployments` and `live_sites` read what the report says: every deploy record, and
the SHA-256 of every live object.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from jada.clock import parse_time
from jada.sites import media
from jada.sites.config import sites_of, validate_sites
from jada.sites.deployer import SiteDeployer
from jada.sites.records import DeployRecord, DeployStore
from jada.workspace.store import WorkspaceStore

from jada_tools.local.engine import Observer
from jada_tools.local.observers import Timeline
from jada_tools.local.provision import Deployment
from jada_tools.local.scenario import Scenario
from jada_tools.local.stepfunctions import ExecutionChange

#: where the local cloud keeps each MCP server's token (the `tokenSecret` of the setting)
MCP_SECRET_PREFIX = "jada-local/mcp/"  # noqa: S105 - a name, not a secret


def _digest(site: str) -> str:
    return hashlib.sha256(site.encode()).hexdigest()


def bucket_name(site: str) -> str:
    """The site's live bucket: `sailjada-com-site-3f9a2b` (readable, unique, a valid bucket name)."""
    return f"{site.replace('.', '-')[:45].rstrip('-')}-site-{_digest(site)[:6]}"


def distribution_id(site: str) -> str:
    """The site's CloudFront distribution id: `E` and 13 capital letters and digits (like AWS's)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    number = int(_digest(site), 16)
    chars = []
    for _ in range(13):
        number, index = divmod(number, len(alphabet))
        chars.append(alphabet[index])
    return "E" + "".join(chars)


def mcp_secret_name(server: str) -> str:
    return MCP_SECRET_PREFIX + server


def settings_of(scenario: Scenario) -> dict[str, Any]:
    """The stack settings (by name) the scenario's sites and MCP servers stand for."""
    given: dict[str, Any] = {}
    if scenario.sites:
        given["sites"] = {
            name: {
                "bucket": bucket_name(name),
                "distributionId": distribution_id(name),
                "approval": s.approval,
            }
            for name, s in scenario.sites.items()
        }
    if scenario.mcp_servers:
        given["mcp_servers"] = [
            server.setting(mcp_secret_name(server.name) if server.token else None)
            for server in scenario.mcp_servers
        ]
    return given


# --- before the run ---------------------------------------------------------------------------
def deployer(dep: Deployment) -> SiteDeployer | None:
    """The deployment's sites, workspace and deploys table, from its outputs (as the CLI finds
    them); None without sites."""
    configured = json.loads(dep.outputs.get("SitesJson") or "{}")
    if not configured:
        return None
    return SiteDeployer(
        sites_of(validate_sites(configured)),
        WorkspaceStore(dep.outputs["WorkspaceBucketName"]),
        DeployStore(dep.outputs["DeploysTableName"]),
    )


def provision_sites(dep: Deployment, scenario: Scenario) -> None:
    """Each scenario site live (bucket with its files, a distribution), then imported into the
    workspace as `jada sites import` does."""
    from jada_tools.cli.sites import Sites, import_live

    sites = deployer(dep)
    if sites is None:
        return
    for site, given in scenario.sites.items():
        config = sites.site(site)
        sites.s3.create_bucket(Bucket=config.bucket)
        for path, body in sorted(given.files.items()):
            sites.s3.put_object(
                Bucket=config.bucket, Key=path, Body=body.encode(), ContentType=media.content_type(path)
            )
        _distribution(sites.cloudfront, config.bucket, config.distribution_id, dep.region)
        import_live(Sites(sites), site, force=False)


def _distribution(cloudfront: Any, bucket: str, wanted_id: str, region: str) -> None:
    """A distribution in front of `bucket` with the id the stack was synthesized with. moto picks
    its ids at random, so the new distribution is filed under the wanted id (a user's existing
    distribution has its id before jada is deployed)."""
    from moto.cloudfront.models import cloudfront_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    origin = {"Id": "site", "DomainName": f"{bucket}.s3.{region}.amazonaws.com",
              "S3OriginConfig": {"OriginAccessIdentity": ""}}  # fmt: skip
    config = {
        "CallerReference": f"site-{bucket}", "Comment": f"the site in {bucket}", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]}, "DefaultRootObject": "index.html",
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                 "MinTTL": 0},
    }  # fmt: skip
    created = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    backend = cloudfront_backends[DEFAULT_ACCOUNT_ID]["global"]
    dist = backend.distributions.pop(created)
    dist.distribution_id = dist.id = wanted_id
    dist.arn = dist.arn.rsplit("/", 1)[0] + "/" + wanted_id
    backend.distributions[wanted_id] = dist


def store_mcp_tokens(scenario: Scenario, region: str) -> None:
    """Each MCP server's token in its emulated secret (never printed, never in the report)."""
    import boto3

    sm = boto3.client("secretsmanager", region_name=region)
    for server in scenario.mcp_servers:
        if server.token:
            sm.create_secret(Name=mcp_secret_name(server.name), SecretString=server.token)


# --- after the run ----------------------------------------------------------------------------
def _records(sites: SiteDeployer) -> list[DeployRecord]:
    found = [r for site in sites.sites for r in sites.records.history(site)]
    return sorted(found, key=lambda r: (r.published_at or r.at, r.site, r.deploy_id))


def deployment_entry(record: DeployRecord) -> dict[str, Any]:
    return {
        "site": record.site,
        "task_id": record.task_id,
        "at": record.published_at or record.at,
        "uploaded": [u.path for u in record.uploads],
        "deleted": sorted(record.deletes),
        "invalidation_paths": list(record.invalidation_paths),
        "deploy_id": record.deploy_id,
        "kind": record.kind,
        "status": record.status,
        "bytes_uploaded": record.bytes_uploaded,
        "invalidation_id": record.invalidation_id,
    }


def deployments(dep: Deployment) -> list[dict[str, Any]]:
    """The report's `deployments`: every deploy of every site, in time order."""
    sites = deployer(dep)
    return [deployment_entry(r) for r in _records(sites)] if sites else []


def live_sites(dep: Deployment) -> dict[str, dict[str, str]]:
    """The report's `sites`: for each site, each live object's SHA-256 (hex) of its bytes."""
    sites = deployer(dep)
    if sites is None:
        return {}
    found: dict[str, dict[str, str]] = {}
    for site, config in sites.sites.items():
        bodies = {
            p: sites.s3.get_object(Bucket=config.bucket, Key=p)["Body"].read() for p in sites.live_files(site)
        }
        found[site] = {path: hashlib.sha256(bodies[path]).hexdigest() for path in sorted(bodies)}
    return found


def invalidations(dep: Deployment) -> dict[str, list[dict[str, Any]]]:
    """The report's `invalidations`: for each site, every CloudFront invalidation of its
    distribution (id, paths, CallerReference), as CloudFront lists them."""
    sites = deployer(dep)
    if sites is None:
        return {}
    cf, found = sites.cloudfront, {}
    for site, config in sites.sites.items():
        listed = cf.list_invalidations(DistributionId=config.distribution_id)["InvalidationList"]
        entries = []
        for item in listed.get("Items") or []:
            batch = cf.get_invalidation(DistributionId=config.distribution_id, Id=item["Id"])["Invalidation"]
            given = batch["InvalidationBatch"]
            paths = list(given["Paths"].get("Items") or [])
            entries.append({"id": item["Id"], "paths": paths, "caller_reference": given["CallerReference"]})
        found[site] = entries
    return found


class DeployObserver(Observer):
    """A timeline line for each published deploy (files uploaded and deleted, the invalidation) and
    for each deploy that waits for the operator's approval, when a session's execution ends."""

    def __init__(self, timeline: Timeline, deployment: Deployment) -> None:
        self.timeline = timeline
        self.sites = deployer(deployment)
        self.seen: set[tuple[str, str]] = set()
        self.asked: set[tuple[str, str]] = set()

    def execution_changed(self, change: ExecutionChange) -> None:
        if self.sites is None or change.execution.status == "RUNNING":
            return
        for record in _records(self.sites):
            key = (record.site, record.deploy_id)
            if record.status == "published" and key not in self.seen:
                self.seen.add(key)
                self.timeline.log("deploy", describe(record), _at(record.published_at or record.at))
        task_id = str(change.execution.input.get("task_id", ""))
        for site in self.sites.sites:
            request = self.sites.records.approval(task_id, site) if task_id else None
            if request is not None and (request.digest, task_id) not in self.asked:
                self.asked.add((request.digest, task_id))
                self.timeline.log(
                    "deploy",
                    f"{site}: a deploy by task {task_id} waits for the operator's approval "
                    f"(diff {request.digest[:12]}); nothing is published before it",
                    _at(request.asked_at),
                )


def describe(record: DeployRecord) -> str:
    uploaded = ", ".join(u.path for u in record.uploads) or "none"
    deleted = f"; deleted {', '.join(sorted(record.deletes))}" if record.deletes else ""
    return (
        f"{record.site} deployed by task {record.task_id or 'operator'}: uploaded {uploaded} "
        f"({record.bytes_uploaded:,} bytes){deleted}; CloudFront invalidation {record.invalidation_id} "
        f"of {', '.join(record.invalidation_paths)}"
    )


def _at(value: str) -> datetime:
    return parse_time(value)
