"""Editing and deploying a site in real turns (the anthropic SDK against the loopback Messages API,
S3, DynamoDB and CloudFront in moto): bytes uploaded by a one-file change against the site's size,
and the checkpoint bytes each turn writes while the editor is in use.

Run: .venv/bin/python tests/benchmarks/bench_sites.py
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from anthropic import Anthropic
from jada.agent.tools import Services, registry_for
from jada.agent.turns import Agent, BatchState, run_batch
from jada.clock import iso
from jada.models import SessionRecord
from jada.settings import Resources, Settings
from jada.sites.records import DeployStore
from jada.stores import schema
from jada.stores.checkpoints import CheckpointStore
from jada.stores.tasks import TaskStore
from jada.telemetry import logger
from jada.workspace.store import WorkspaceStore
from jada_tools.fakes.model_server import ModelServer, reply, scripted, tool_use
from moto import mock_aws

NOW = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)
SITE = "sailjada.com"
HERO_EDIT = {"command": "str_replace", "old_str": "<h1>Sail Jada</h1>", "new_str": "<h1>Sail with Jada</h1>"}
WORDS = ["sail", "crew", "charter", "harbour", "yacht", "island", "sunset", "cabin", "anchor", "coast"]


def page(rng: random.Random, title: str, paragraphs: int) -> bytes:
    body = "\n".join(f"  <p>{' '.join(rng.choice(WORDS) for _ in range(40))}</p>" for _ in range(paragraphs))
    return f"<!doctype html>\n<html>\n<head><title>{title}</title></head>\n<body>\n  <h1>{title}</h1>\n{body}\n</body>\n</html>\n".encode()  # noqa: E501


def site_files() -> dict[str, bytes]:
    """A small charter site: 20 pages, a stylesheet, a script and 15 images (about 1.6 MB)."""
    rng = random.Random(11)
    files = {"index.html": page(rng, "Sail Jada", 40)}
    files.update({f"pages/page-{i:02}.html": page(rng, f"Page {i}", 25) for i in range(19)})
    files["css/site.css"] = ("".join(f".c{i} {{ margin: {i}px; }}\n" for i in range(1500))).encode()
    files["js/app.3f9a2b7c.js"] = (
        "".join(f"function f{i}() {{ return {i}; }}\n" for i in range(2500))
    ).encode()
    files.update({f"img/photo-{i:02}.jpg": rng.randbytes(rng.randint(50_000, 150_000)) for i in range(15)})
    return files


def main() -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    logger().setLevel("WARNING")
    with mock_aws(), ModelServer() as server:
        ddb, s3 = boto3.client("dynamodb"), boto3.client("s3")
        for name, spec in (
            ("tasks", schema.TASKS),
            ("checkpoints", schema.CHECKPOINTS),
            ("deploys", schema.DEPLOYS),
        ):
            ddb.create_table(**spec.create_kwargs(name))
        for bucket in ("checkpoints", "workspace", "sailjada-live"):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket="workspace", VersioningConfiguration={"Status": "Enabled"})
        files = site_files()
        store = WorkspaceStore("workspace")
        for name, body in files.items():  # the live site, imported into the workspace
            s3.put_object(Bucket="sailjada-live", Key=name, Body=body)
            store.write(f"sites/{SITE}/{name}", body, content_type="text/html")
        distribution = _distribution()
        settings = Settings(
            sites={SITE: {"bucket": "sailjada-live", "distributionId": distribution}}, turns_per_batch=10
        )
        resources = Resources(
            tasks_table="tasks", checkpoints_table="checkpoints", checkpoint_bucket="checkpoints",
            workspace_bucket="workspace", deploys_table="deploys",
        )  # fmt: skip
        tasks = TaskStore("tasks")
        task = tasks.create(
            prompt="Change the hero title to 'Sail with Jada' and deploy.", title="hero", now=NOW
        )
        task = tasks.claim(
            task, session=SessionRecord(number=1, execution="bench-s1", started_at=iso(NOW)), now=NOW
        )
        path = f"/sites/{SITE}/index.html"
        editor = "str_replace_based_edit_tool"
        server.responder = scripted(
            reply(tool_use(editor, {"command": "view", "path": f"/sites/{SITE}/"}, "t1")),
            reply(tool_use(editor, {"command": "view", "path": path}, "t2")),
            reply(tool_use(editor, {"command": "view", "path": path, "view_range": [1, 8]}, "t3")),
            reply(tool_use(editor, HERO_EDIT | {"path": path}, "t4")),
            reply(tool_use("deploy_site", {"site": SITE}, "t5")),
            reply(tool_use("complete_task", {"summary": "Hero title changed and deployed."}, "t6")),
        )
        client = Anthropic(base_url=server.base_url, api_key="bench", max_retries=0)
        agent = Agent(
            tasks=tasks, checkpoints=CheckpointStore("checkpoints", "checkpoints"), client=client,
            settings=settings, remaining_s=lambda: 600.0, clock=lambda: NOW, registry=registry_for(settings),
            services=Services(settings, resources),
        )  # fmt: skip
        started = time.perf_counter()
        result = run_batch(BatchState(task_id=task.task_id, session=1, execution="bench-s1"), agent)
        elapsed = time.perf_counter() - started
        [record] = DeployStore("deploys").history(SITE)
        _report(files, record, result.checkpoint_bytes, len(server.requests), elapsed, result.status)


def _report(files: dict[str, bytes], record: Any, checkpoint_bytes: list[int], calls: int, elapsed: float,
            status: str) -> None:  # fmt: skip
    size = sum(len(b) for b in files.values())
    print(f"session: {status} in {calls} model calls, {elapsed:.2f} s wall (moto + loopback model)")
    print(f"site: {len(files)} files, {size:,} bytes")
    print(
        f"one-file change: uploaded {len(record.uploads)} file(s), {record.bytes_uploaded:,} bytes "
        f"({100 * record.bytes_uploaded / size:.2f}% of the site); deleted {len(record.deletes)}; "
        f"invalidation paths {record.invalidation_paths}"
    )
    labels = [
        "view folder",
        "view index.html",
        "view_range 1-8",
        "str_replace",
        "deploy_site",
        "complete_task",
    ]
    for label, written in zip(labels, checkpoint_bytes, strict=False):
        print(f"checkpoint bytes, turn {label}: {written:,}")
    print(f"checkpoint bytes, mean per turn: {sum(checkpoint_bytes) / len(checkpoint_bytes):,.0f}")


def _distribution() -> str:
    origin = {
        "Id": "s",
        "DomainName": "sailjada-live.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config = {
        "CallerReference": "bench", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "s", "ViewerProtocolPolicy": "allow-all", "MinTTL": 0},
    }  # fmt: skip
    return str(
        boto3.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    )


if __name__ == "__main__":
    main()
