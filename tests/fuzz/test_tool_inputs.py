"""Every tool of the registry, fed random JSON of any shape and near-valid inputs built from its own
input schema: always a ToolOutcome (invalid input: `is_error` with a message), never an exception, and
an error result leaves every table, bucket and invalidation as it was.

The tools are those `registry_for` gives with every setting at its declared example value (each
work tool's example enables it), so a tool added later is fuzzed without editing this file. Their
adapters run against the synthesized app's tables and buckets provisioned in moto."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import event, example, given
from hypothesis import strategies as st
from jada import aws
from jada.agent.tools import Registry, Services, ToolContext, ToolOutcome, registry_for
from jada.clock import iso
from jada.models import SessionRecord
from jada.settings import Resources, Settings, declared
from jada.stores.tasks import TaskStore
from jada_tools.local.emulator import LAMBDA_IN_PROCESS
from jada_tools.local.provision import provision
from moto import mock_aws
from pydantic import ValidationError

from tests.conftest import NOW
from tests.fuzz import tables
from tests.fuzz.profiles import fuzz
from tests.fuzz.strategies import NASTY, hostile_text, json_values, keys

#: every setting at its example value: a work tool's example setting enables it
EVERY_TOOL = Settings(**{spec.name: spec.example for spec in declared()})
REGISTRY: Registry = registry_for(EVERY_TOOL)
#: AWS errors that mean this test's moto world lacks a resource a valid input reached for
MISSING_RESOURCE = {"NoSuchBucket", "NoSuchDistribution", "ResourceNotFoundException", "NoSuchKey"}
PATHS = (
    "/",
    "/sites/",
    "/sites/sailjada.com/index.html",
    "/sites/sailjada.com/",
    "/notes/a.md",
    "../etc/passwd",
    "/sites/../../etc/passwd",
    "/sites/%2e%2e/%2e%2e/x",
    "C:\\Windows\\x",
    "/sites/x\x00.html",
    "//sites//a",
    "/sites/a/./b",
    "sites/a.html",
    "/" + "a/" * 400,
)
_ids = itertools.count(1)


@dataclass
class World:
    tasks: TaskStore
    services: Services
    task_id: str


def _buckets_named_in(value: Any) -> set[str]:
    """Bucket names anywhere in the settings (e.g. each configured site's `bucket`)."""
    if isinstance(value, dict):
        found = {str(v) for k, v in value.items() if k == "bucket" and isinstance(v, str)}
        return found.union(*(_buckets_named_in(v) for v in value.values()))
    if isinstance(value, list | tuple):
        return set().union(*(_buckets_named_in(v) for v in value))
    return set()


@pytest.fixture(scope="module")
def provisioned(app_template: dict[str, Any]) -> Iterator[dict[str, str]]:
    """The app's resources in moto; the turn batch's environment (its resource names)."""
    with mock_aws(config=LAMBDA_IN_PROCESS):
        deployment = provision(app_template, "us-east-1")
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in _buckets_named_in(EVERY_TOOL.model_dump()):
            s3.create_bucket(Bucket=bucket)
        turn_batch = deployment.function_by_folder("turn_batch")
        assert turn_batch is not None
        env = dict(turn_batch.environment)
        # the template is synthesized without a spreadsheet: give read_port_sheet the sheet table
        env.setdefault("SHEET_TABLE", deployment.outputs["SheetTableName"])
        yield env


@pytest.fixture
def world(provisioned: dict[str, str]) -> World:
    resources = Resources.from_env(provisioned)
    tasks = TaskStore(resources.tasks_table)
    task = tasks.create(prompt="Fuzz the tools.", title="fuzz", now=NOW)
    tasks.claim(
        task, session=SessionRecord(number=1, execution=task.execution_name(1), started_at=iso(NOW)), now=NOW
    )
    return World(tasks, Services(EVERY_TOOL, resources), task.task_id)


def snapshot() -> dict[str, Any]:
    """Every item of every table, every object (and version) of every bucket, every invalidation."""
    s3, cf = aws.client("s3"), aws.client("cloudfront")
    state: dict[str, Any] = {"tables": tables.snapshot(aws.client("dynamodb").list_tables()["TableNames"])}
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        versions = [
            (v["Key"], v["VersionId"], v["ETag"])
            for p in s3.get_paginator("list_object_versions").paginate(Bucket=name)
            for v in p.get("Versions", [])
        ]
        state[f"bucket {name}"] = sorted(versions)
    for dist in cf.list_distributions().get("DistributionList", {}).get("Items", []) or []:
        found = cf.list_invalidations(DistributionId=dist["Id"]).get("InvalidationList", {})
        state[f"distribution {dist['Id']}"] = sorted(i["Id"] for i in found.get("Items", []) or [])
    return state


def _value_for(name: str, spec: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values near what one property of a tool's input schema asks for."""
    options: list[st.SearchStrategy[Any]] = [json_values(huge=False, max_leaves=4)]
    kinds = {spec.get("type")} | {s.get("type") for s in spec.get("anyOf", [])}
    if spec.get("enum"):
        options += [st.sampled_from(spec["enum"])] * 3
    if "string" in kinds:
        options += [hostile_text(), st.text(max_size=30)]
        if "path" in name:
            options += [st.sampled_from(PATHS)] * 3
    if "integer" in kinds or "number" in kinds:
        options += [st.integers(-5, 50), st.integers(-(2**63), 2**63)]
    if "array" in kinds:
        options += [
            st.lists(st.integers(-3, 100), max_size=3),
            st.lists(hostile_text(huge=False), max_size=3),
        ]
    if "boolean" in kinds:
        options.append(st.booleans())
    return st.one_of(*options)


@st.composite
def near_valid(draw: st.DrawFn, schema: dict[str, Any]) -> dict[str, Any]:
    """A dict shaped by the schema: each property present or not (required ones usually present),
    values of the right type or not, sometimes an extra field."""
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    value: dict[str, Any] = {}
    for name, spec in props.items():
        if draw(st.integers(0, 9)) < (9 if name in required else 5):
            value[name] = draw(_value_for(name, spec))
    if draw(st.integers(0, 9)) == 0:
        value[draw(keys())] = draw(json_values(huge=False, max_leaves=3))
    return value


def tool_inputs(name: str) -> st.SearchStrategy[Any]:
    schema = REGISTRY.tools[name].input_model.model_json_schema()
    return st.one_of(json_values(), near_valid(schema), near_valid(schema))


def run_tool(world: World, name: str, tool_input: Any) -> tuple[ToolOutcome | None, bool]:
    """(outcome, whether the input passed the tool's input model); None when a valid input reached
    for an AWS resource this test's world does not have."""
    tool = REGISTRY.tools[name]
    try:
        tool.input_model.model_validate(tool_input if isinstance(tool_input, dict) else {})
        valid = True
    except ValidationError:
        valid = False
    ctx = ToolContext(
        task=world.tasks.get(world.task_id),
        tasks=world.tasks,
        now=NOW,
        tool_use_id=f"toolu_fuzz{next(_ids):08d}",
        session=1,
        turn=1,
        services=world.services,
    )
    try:
        return REGISTRY.run(ctx, name, tool_input), valid
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if valid and code in MISSING_RESOURCE:
            event(f"valid input met an AWS resource this world lacks ({code})")
            return None, valid
        raise


def check_outcome(world: World, name: str, tool_input: Any) -> None:
    before = snapshot()
    try:
        _check_outcome(world, name, tool_input, before)
    finally:  # the tables as they were: each example starts alike, scans stay small
        tables.restore(before["tables"], tables.snapshot(list(before["tables"])))


def _check_outcome(world: World, name: str, tool_input: Any, before: dict[str, Any]) -> None:
    outcome, valid = run_tool(world, name, tool_input)
    if outcome is None:
        return
    assert isinstance(outcome, ToolOutcome)
    assert isinstance(outcome.content, str)
    assert outcome.content.strip(), "a result without a message"
    json.dumps(outcome.to_dict())  # it is stored as the call's result: it must serialize
    event("is_error" if outcome.is_error else "ok")
    if not valid:
        assert outcome.is_error, f"{name} accepted input its own model refuses: {tool_input!r:.300}"
        assert outcome.content.startswith(f"Invalid input for {name}: "), outcome.content[:300]
    if outcome.is_error:
        assert len(outcome.content) <= 10_000, "an error message that echoes a huge input"
        assert snapshot() == before, f"{name} changed state although its result is an error"


@pytest.mark.parametrize("name", list(REGISTRY.tools))
@fuzz(20)
@given(data=st.data())
def test_any_input_gets_a_tool_outcome_and_an_error_changes_nothing(
    world: World, name: str, data: st.DataObject
) -> None:
    check_outcome(world, name, data.draw(tool_inputs(name), label="input"))


@fuzz(10)
@given(
    st.one_of(hostile_text(huge=False), st.sampled_from([*NASTY, "Complete_Task", "complete_task "])),
    json_values(huge=False),
)
@example("", {})
def test_an_unknown_tool_is_an_error_listing_the_tools(world: World, name: str, tool_input: Any) -> None:
    if name in REGISTRY.tools:
        return
    before = snapshot()
    outcome = REGISTRY.run(
        ToolContext(
            task=world.tasks.get(world.task_id),
            tasks=world.tasks,
            now=NOW,
            tool_use_id="toolu_x",
            services=world.services,
        ),
        name,
        tool_input,
    )
    assert outcome.is_error
    assert all(tool in outcome.content for tool in REGISTRY.tools)
    assert snapshot() == before


def test_every_tool_is_fuzzed() -> None:
    """The registry under test has the built-ins and whatever the example settings enable."""
    assert {"complete_task", "create_task", "save_progress", "block_task"} <= set(REGISTRY.tools)
