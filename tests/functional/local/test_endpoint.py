"""The local cloud's AWS endpoint (what `jada local serve` exposes): a client in another process,
pointed there by `JADA_ENDPOINT` alone, reads the stack record and alarms and runs functions in
this process; every request is atomic, but a Lambda invoke does not hold the others up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from jada_tools.cli.common import CliError
from jada_tools.cli.endpoint import EndpointClock, configure
from jada_tools.local.atomic import AtomicRequests
from jada_tools.local.emulator import Emulated, emulate
from jada_tools.local.endpoint import CLOCK_PATH, EndpointError, LocalEndpoint
from jada_tools.local.mirror import CloudWatchMirror, register_stack

from .template import template

SIM_NOW = datetime(2026, 5, 12, 22, 30, tzinfo=UTC)


@pytest.fixture
def served() -> Iterator[tuple[Emulated, LocalEndpoint, AtomicRequests]]:
    tpl = template()
    tpl["Outputs"] = {"WorkerName": {"Value": {"Ref": "Worker"}}, "TopicArn": {"Value": {"Ref": "Topic"}}}
    with emulate(tpl) as cloud, AtomicRequests() as atomic:
        register_stack(cloud.deployment, "Jada")
        CloudWatchMirror(cloud.deployment)
        info = {"now": SIM_NOW.isoformat(), "speed": 60.0, "region": cloud.deployment.region}
        with LocalEndpoint(0, info=lambda: info, atomic=atomic) as endpoint:
            yield cloud, endpoint, atomic


def _other_process(code: str, env: dict[str, str]) -> Any:
    """Run `code` (which prints one JSON value) in a fresh interpreter with exactly `env`."""
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _configured_env(url: str) -> tuple[dict[str, str], list[EndpointClock]]:
    env = {"PATH": os.environ.get("PATH", ""), "JADA_ENDPOINT": url, "AWS_PROFILE": "prod",
           "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_DYNAMODB": "https://elsewhere.example"}  # fmt: skip
    followed: list[EndpointClock] = []
    assert configure(env, follow=lambda c: followed.append(c) or True) == url
    return env, followed


def test_a_process_pointed_by_jada_endpoint_alone_reads_the_stack_and_runs_functions_here(
    served: tuple[Emulated, LocalEndpoint, AtomicRequests],
) -> None:
    cloud, endpoint, _ = served
    # Given the environment a jada command sets up from JADA_ENDPOINT
    env, followed = _configured_env(endpoint.url)
    # Then it talks to the endpoint with fake credentials in the endpoint's region, on its clock
    assert env["AWS_ENDPOINT_URL"] == endpoint.url
    assert (env["AWS_REGION"], env["AWS_DEFAULT_REGION"]) == ("us-east-1", "us-east-1")
    assert env["AWS_ACCESS_KEY_ID"] == "local"
    assert "AWS_PROFILE" not in env
    assert "AWS_ENDPOINT_URL_DYNAMODB" not in env
    assert followed == [EndpointClock(SIM_NOW, 60.0, "us-east-1")]
    # When another process uses plain boto3 clients with that environment
    code = """
import boto3, json
outputs = boto3.client("cloudformation").describe_stacks(StackName="Jada")["Stacks"][0]["Outputs"]
names = {o["OutputKey"]: o["OutputValue"] for o in outputs}
reply = boto3.client("lambda").invoke(FunctionName=names["WorkerName"], Payload=b'{"time": "T"}')
alarms = boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]
print(json.dumps({"outputs": names, "result": json.loads(reply["Payload"].read()),
                  "alarms": [(a["AlarmName"], a["StateValue"]) for a in alarms]}))
"""
    seen = _other_process(code, env)
    # Then the stack's outputs are the provisioned names, and the invoke ran the real handler here
    assert seen["outputs"] == cloud.deployment.outputs
    assert seen["outputs"]["WorkerName"] == cloud.deployment.functions["Worker"].name
    assert seen["result"]["scheduled"] == "T"
    assert [i.function_name for i in cloud.runtime.invocations] == [seen["outputs"]["WorkerName"]]
    assert seen["alarms"] == [["work-seen", "INSUFFICIENT_DATA"]]


def test_alarm_states_and_metrics_are_mirrored_into_cloudwatch(
    served: tuple[Emulated, LocalEndpoint, AtomicRequests],
) -> None:
    from jada_tools.local.alarms import AlarmState, StateChange

    cloud, _, _ = served
    mirror = CloudWatchMirror(cloud.deployment)
    alarm = AlarmState.from_properties(cloud.deployment.alarms[0].properties)
    mirror.alarm_changed(StateChange(alarm, "INSUFFICIENT_DATA", "ALARM", "Threshold Crossed: 1", SIM_NOW))
    line = json.dumps({"_aws": {"Timestamp": int(SIM_NOW.timestamp() * 1000), "CloudWatchMetrics": [
        {"Namespace": "Test", "Dimensions": [["service"]], "Metrics": [{"Name": "Work"}]}]},
        "service": "test", "Work": 3})  # fmt: skip
    mirror.feed("not a metric\n" + line + "\n", SIM_NOW)
    cw = boto3.client("cloudwatch", region_name=cloud.deployment.region)
    (described,) = cw.describe_alarms(AlarmNames=["work-seen"])["MetricAlarms"]
    assert (described["StateValue"], described["StateReason"]) == ("ALARM", "Threshold Crossed: 1")
    stats = cw.get_metric_statistics(
        Namespace="Test", MetricName="Work", Dimensions=[{"Name": "service", "Value": "test"}],
        StartTime=SIM_NOW.replace(minute=0), EndTime=SIM_NOW.replace(minute=59), Period=3600,
        Statistics=["Sum"],
    )  # fmt: skip
    assert [p["Sum"] for p in stats["Datapoints"]] == [3.0]


def test_the_clock_is_answered_and_a_taken_port_is_a_clear_error(
    served: tuple[Emulated, LocalEndpoint, AtomicRequests],
) -> None:
    import urllib.request

    _, endpoint, _ = served
    with urllib.request.urlopen(endpoint.url + CLOCK_PATH, timeout=5) as response:
        assert json.loads(response.read())["now"] == SIM_NOW.isoformat()
    with pytest.raises(EndpointError, match=f"cannot listen on 127.0.0.1:{endpoint.port}"):
        LocalEndpoint(endpoint.port, info=dict).start()


def test_requests_are_atomic_but_an_invoke_does_not_wait_for_them(
    served: tuple[Emulated, LocalEndpoint, AtomicRequests],
) -> None:
    cloud, _, atomic = served
    worker = cloud.deployment.functions["Worker"].name
    results: dict[str, Any] = {}

    def call(name: str, action: Any) -> threading.Thread:
        thread = threading.Thread(target=lambda: results.__setitem__(name, action()), daemon=True)
        thread.start()
        return thread

    # Given one request in progress (the lock held, as during a conditional write)
    with atomic.lock:
        # When another thread makes a request, and a third invokes a function that makes none
        listing = call("topics", lambda: boto3.client("sns", region_name="us-east-1").list_topics())
        invoke = call("invoke", lambda: boto3.client("lambda", region_name="us-east-1").invoke(
            FunctionName=worker, Payload=b'{"time": "T"}'))  # fmt: skip
        invoke.join(timeout=30)
        listing.join(timeout=0.5)
        # Then the invoke ran, while the other request waits for the one in progress
        assert "invoke" in results
        assert listing.is_alive()
        assert "topics" not in results
    listing.join(timeout=30)
    assert results["topics"]["Topics"]


def test_configure_leaves_the_environment_alone_without_jada_endpoint() -> None:
    env = {"AWS_PROFILE": "prod", "AWS_REGION": "eu-west-1"}
    assert configure(env, follow=lambda _c: pytest.fail("no endpoint, no clock")) is None
    assert env == {"AWS_PROFILE": "prod", "AWS_REGION": "eu-west-1"}


@pytest.mark.parametrize("url", ["127.0.0.1:4567", "http://127.0.0.1:4567/path", "ftp://host", "http://"])
def test_a_malformed_jada_endpoint_is_bad_input(url: str) -> None:
    with pytest.raises(CliError, match="is not an endpoint URL") as caught:
        configure({"JADA_ENDPOINT": url}, follow=lambda _c: True)
    assert caught.value.code == 2


def test_an_endpoint_without_a_clock_gets_the_default_region_and_the_wall_clock() -> None:
    # Given nothing listening at the endpoint (or a plain moto server that has no clock)
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"JADA_ENDPOINT": f"http://127.0.0.1:{port}/"}
    assert configure(env, follow=lambda _c: pytest.fail("no clock to follow")) == f"http://127.0.0.1:{port}"
    assert env["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{port}"
    assert env["AWS_REGION"] == "us-east-1"
