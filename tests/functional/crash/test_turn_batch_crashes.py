"""A crash at every external call of the turn batch, for every tool: the state machine's Retry (or
its Catch path, when the Lambda died) leaves every invariant holding; a retried crash ends the task
exactly as a clean run does.

A tool is covered by one entry of SCENARIOS: the model's turns calling it (and a `check` when the
generic invariants of world.invariants do not cover its side effect)."""

from __future__ import annotations

import json

import boto3
import pytest
from jada.lifecycle import TaskStatus

from tests.functional.crash.model import Call, Say
from tests.functional.crash.sessions import Run, Scenario, sweep, violations
from tests.functional.crash.world import World

DONE = Call("complete_task", {"summary": "Page live."})
CHILD = Call("create_task", {"title": "deploy the page", "prompt": "Deploy the crew page."})
NOTE = Call("save_progress", {"note": "Draft written; deploy next."})


def one_child(world: World, run: Run) -> list[str]:
    children = [t for t in world.all_tasks() if t.title == "deploy the page"]
    return [] if len(children) == 1 else [f"{len(children)} child tasks for one create_task call"]


# --- work tools ---------------------------------------------------------------------------------------
EDITOR = "str_replace_based_edit_tool"
SITE, SITE_BUCKET = "crash.example.com", "crash-example-site"
PAGE = f"/sites/{SITE}/index.html"
PLAN = "/notes/plan.md"
CREATE = Call(EDITOR, {"command": "create", "path": PLAN, "file_text": "draft\n"})
REPLACE = Call(EDITOR, {"command": "str_replace", "path": PLAN, "old_str": "draft", "new_str": "final"})
INSERT = Call(EDITOR, {"command": "insert", "path": PLAN, "insert_line": 1, "insert_text": "shipped\n"})
PAGE_EDIT = Call(EDITOR, {"command": "create", "path": PAGE, "file_text": "<h1>Sail with Jada</h1>\n"})
DEPLOY = Call("deploy_site", {"site": SITE})


def _workspace_text(world: World, path: str) -> str | None:
    bucket = world.env("turn_batch")["WORKSPACE_BUCKET"]
    try:
        body = boto3.client("s3").get_object(Bucket=bucket, Key=path.lstrip("/"))["Body"].read()
    except boto3.client("s3").exceptions.NoSuchKey:
        return None
    return body.decode()


def plan_edited_once(world: World, run: Run) -> list[str]:
    """create, str_replace and insert each applied exactly once: a repeated edit would fail or
    double the inserted line."""
    text = _workspace_text(world, PLAN)
    return [] if text == "final\nshipped\n" else [f"{PLAN} holds {text!r}, not the three edits applied once"]


def with_a_site(world: World) -> None:
    """An existing static site (bucket + distribution) the deployment is configured with."""
    s3 = boto3.client("s3")
    if SITE_BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=SITE_BUCKET)
    origin = {
        "Id": "site",
        "DomainName": f"{SITE_BUCKET}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    cf = boto3.client("cloudfront")
    found = [
        d["Id"] for d in cf.list_distributions()["DistributionList"].get("Items", []) if d["Comment"] == SITE
    ]
    distribution = found[0] if found else cf.create_distribution(DistributionConfig={
        "CallerReference": f"crash-{SITE}", "Comment": SITE, "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "allow-all", "MinTTL": 0},
    })["Distribution"]["Id"]  # fmt: skip
    sites = {SITE: {"bucket": SITE_BUCKET, "distributionId": distribution, "approval": "auto"}}
    world.functions.extra_env["SITES"] = json.dumps(sites)


def deployed_once(world: World, run: Run) -> list[str]:
    """The page live with the edited text, one deploy record, one invalidation for its reference."""
    problems = []
    live = boto3.client("s3").get_object(Bucket=SITE_BUCKET, Key="index.html")["Body"].read().decode()
    if live != "<h1>Sail with Jada</h1>\n":
        problems.append(f"the live page is {live!r}")
    table = boto3.resource("dynamodb").Table(world.env("turn_batch")["DEPLOYS_TABLE"])
    records = [i for i in table.scan()["Items"] if str(i["sk"]).startswith("deploy#")]
    if len(records) != 1:
        problems.append(f"{len(records)} deploy records for one deploy_site call")
    sites = json.loads(world.functions.extra_env["SITES"])
    # every invalidation jada makes carries its deploy's CallerReference, and CloudFront creates
    # nothing for a repeated one (moto does: a resent request adds one there); so: one deploy
    # record, published, naming an invalidation made with its reference
    for item in records:
        body = json.loads(str(item["body"]))
        if not body.get("invalidation_id"):
            problems.append(f"deploy {item['sk']} has no invalidation")
            continue
        made = boto3.client("cloudfront").get_invalidation(
            DistributionId=sites[SITE]["distributionId"], Id=body["invalidation_id"]
        )["Invalidation"]
        if made["InvalidationBatch"]["CallerReference"] != f"jada-{body['deploy_id']}":
            problems.append(f"deploy {item['sk']}: invalidation {made['Id']} has another reference")
    return problems


SCENARIOS = [
    Scenario("complete_task", ((DONE,),)),
    Scenario("create_task", ((CHILD,), (DONE,)), check=one_child, env={"TURNS_PER_BATCH": "1"}),
    Scenario("save_progress", ((NOTE,), (DONE,))),
    Scenario("block_task", ((Call("block_task", {"reason": "Which photo?"}),),), rests=TaskStatus.BLOCKED),
    Scenario("end_turn", ((Say("The page is live."),),)),
    Scenario("two_tools_in_a_turn", ((CHILD, NOTE), (DONE,)), check=one_child),
    Scenario(
        "turn_limit_then_resume",
        ((NOTE,),),
        env={"TURNS_PER_SESSION": "2", "HANDOFF_MARGIN": "0"},
        resumed=((DONE,),),
    ),
    Scenario("editor", ((CREATE,), (REPLACE, INSERT), (DONE,)), check=plan_edited_once),
    Scenario("deploy_site", ((PAGE_EDIT,), (DEPLOY,), (DONE,)), check=deployed_once, setup=with_a_site),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_a_crash_at_any_call_of_a_turn_batch_changes_nothing(world: World, scenario: Scenario) -> None:
    clean, runs = sweep(world, scenario.in_turn_batch())
    found = violations(scenario.name, clean, runs, same_end=lambda _run: True)
    assert found == [], "\n".join(found)
