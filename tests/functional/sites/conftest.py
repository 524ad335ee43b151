"""A site as a user has one (an S3 bucket with its files and a CloudFront distribution, in moto),
jada's workspace bucket and deploys table, and helpers to run the work tools directly or in a
real turn (the anthropic SDK against the loopback Messages API)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from jada.agent.tools import Registry, Services, registry_for
from jada.agent.tools.base import ToolContext, ToolOutcome
from jada.agent.turns import Agent
from jada.models import Task
from jada.settings import Resources, Settings
from jada.stores import schema
from jada.workspace.store import WorkspaceStore

from tests.conftest import NOW, Cloud
from tests.functional.agent.conftest import Harness, anthropic_client, harness, model_server  # noqa: F401

SITE = "sailjada.com"
FILES = {
    "index.html": b"<html>\n<h1>Sail Jada</h1>\n<p>Charters in the Med</p>\n</html>\n",
    "crew.html": b"<html>\n<h1>Crew</h1>\n</html>\n",
    "css/site.css": b"body { color: navy; }\n",
    "img/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
}
_ids = itertools.count(1)


@dataclass
class World:
    """The user's site and jada's workspace, in moto."""

    cloud: Cloud
    workspace_bucket: str = "jada-workspace"
    deploys_table: str = "jada-deploys"
    bucket: str = "sailjada-live"
    distribution: str = ""
    approval: str = "auto"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def s3(self) -> Any:
        return boto3.client("s3")

    def settings(self, **values: Any) -> Settings:
        site = {"bucket": self.bucket, "distributionId": self.distribution, "approval": self.approval}
        return Settings(sites={SITE: site}, **values)

    def resources(self) -> Resources:
        return Resources(
            tasks_table=self.cloud.tasks_table, checkpoints_table=self.cloud.checkpoints_table,
            checkpoint_bucket=self.cloud.checkpoint_bucket, workspace_bucket=self.workspace_bucket,
            deploys_table=self.deploys_table,
        )  # fmt: skip

    def services(self, **values: Any) -> Services:
        return Services(self.settings(**values), self.resources())

    def store(self) -> WorkspaceStore:
        return WorkspaceStore(self.workspace_bucket)

    # --- the workspace and the live site ----------------------------------------------------------
    def put(self, path: str, body: bytes | str) -> None:
        """A workspace file as `jada sites import` or the editor leaves it (with its SHA-256)."""
        data = body.encode() if isinstance(body, str) else body
        self.store().write(path.lstrip("/"), data, content_type="text/html")

    def import_site(self) -> None:
        for name, body in self.live().items():
            self.put(f"sites/{SITE}/{name}", body)

    def read(self, path: str) -> str:
        return str(
            self.s3.get_object(Bucket=self.workspace_bucket, Key=path.lstrip("/"))["Body"].read().decode()
        )

    def live(self) -> dict[str, bytes]:
        found = self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return {o["Key"]: self.s3.get_object(Bucket=self.bucket, Key=o["Key"])["Body"].read() for o in found}

    def live_head(self, key: str) -> dict[str, Any]:
        head: dict[str, Any] = self.s3.head_object(Bucket=self.bucket, Key=key)
        return head

    def invalidations(self) -> list[dict[str, Any]]:
        cf = boto3.client("cloudfront")
        items = cf.list_invalidations(DistributionId=self.distribution)["InvalidationList"].get("Items") or []
        found = []
        for item in items:
            batch = cf.get_invalidation(DistributionId=self.distribution, Id=item["Id"])["Invalidation"]
            found.append({"id": item["Id"], **batch["InvalidationBatch"]})
        return found

    def record_calls(self, client: Any) -> None:
        """Remember every API call `client` makes (operation name and parameters)."""

        def note(params: dict[str, Any], model: Any, **_: Any) -> None:
            self.calls.append((model.name, params))

        client.meta.events.register("provide-client-params", note)

    def calls_of(self, operation: str, bucket: str | None = None) -> list[dict[str, Any]]:
        return [p for name, p in self.calls if name == operation and bucket in (None, p.get("Bucket"))]


@pytest.fixture
def world(cloud: Cloud) -> World:
    s3 = boto3.client("s3")
    w = World(cloud)
    s3.create_bucket(Bucket=w.workspace_bucket)
    s3.put_bucket_versioning(Bucket=w.workspace_bucket, VersioningConfiguration={"Status": "Enabled"})
    boto3.client("dynamodb").create_table(**schema.DEPLOYS.create_kwargs(w.deploys_table))
    s3.create_bucket(Bucket=w.bucket)
    for name, body in FILES.items():
        s3.put_object(Bucket=w.bucket, Key=name, Body=body)
    w.distribution = create_distribution(w.bucket)
    return w


def create_distribution(bucket: str) -> str:
    origin = {
        "Id": "site",
        "DomainName": f"{bucket}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config = {
        "CallerReference": f"site-{bucket}", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "allow-all", "MinTTL": 0},
    }  # fmt: skip
    return str(
        boto3.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    )


@dataclass
class Direct:
    """Runs one tool call the way a turn does (Registry.run), with a fresh tool_use id each time."""

    world: World
    task: Task
    services: Services
    registry: Registry

    def __call__(self, name: str, tool_input: dict[str, Any], tool_use_id: str | None = None) -> ToolOutcome:
        ctx = ToolContext(
            task=self.world.cloud.tasks().get(self.task.task_id), tasks=self.world.cloud.tasks(), now=NOW,
            tool_use_id=tool_use_id or f"toolu_direct{next(_ids):06d}", services=self.services,
        )  # fmt: skip
        return self.registry.run(ctx, name, tool_input)


@pytest.fixture
def direct(world: World) -> Direct:
    task = world.cloud.tasks().create(prompt="Edit the site.", title="site edit", now=NOW)
    services = world.services()
    return Direct(world, task, services, registry_for(services.settings))


def agent_for(harness: Harness, world: World, **settings: Any) -> Agent:  # noqa: F811
    """A turn-batch agent with the deployment's registry and services (workspace, sites)."""
    agent = harness.agent(**settings)
    services = world.services(**settings)
    agent.settings = services.settings
    agent.registry = registry_for(services.settings)
    agent.services = services
    return agent


def crash_after(client: Any, operation: str, nth: int = 1) -> Callable[[], int]:
    """The `nth` call of `operation` happens at the remote end, then the Lambda dies (an exception
    that no tool catches, as a timeout would be). Returns a counter of the calls made."""
    seen = [0]

    def after(**_: Any) -> None:
        seen[0] += 1
        if seen[0] == nth:
            raise Crash(f"crash after {operation} #{nth}")

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"after-call.{service}.{operation}", after)
    return lambda: seen[0]


class Crash(BaseException):
    """The Lambda process ends here (not an Exception: no tool catches it, as with a timeout)."""
