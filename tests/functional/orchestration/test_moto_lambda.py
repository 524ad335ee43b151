"""The in-process Lambda runtime for moto: real handler files, env, context, stdout, errors."""

from __future__ import annotations

import io
import json
import logging
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from jada_tools.local.moto_lambda import InProcessLambda
from moto import mock_aws

HANDLER = """
import os

CALLS = []

def handler(event, context):
    CALLS.append(1)
    print("emf-line", event.get("n"))
    if event.get("fail"):
        raise ValueError("bad input " + str(event["n"]))
    left = context.get_remaining_time_in_millis()
    return {"n": event["n"], "greeting": os.environ["GREETING"], "left": left, "name": context.function_name,
            "calls": len(CALLS)}
"""


def zipped(source: str, name: str = "handler.py") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, source)
    return buffer.getvalue()


@pytest.fixture
def lam() -> Iterator[object]:
    with mock_aws(config={"lambda": {"use_docker": False}}):
        iam = boto3.client("iam")
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        client = boto3.client("lambda")
        for name, greeting in (("greeter", "hello"), ("zipped", "from the zip")):
            client.create_function(
                FunctionName=name, Runtime="python3.13", Role=role, Handler="handler.handler",
                Code={"ZipFile": zipped(HANDLER)}, Timeout=30,
                Environment={"Variables": {"GREETING": greeting}},
            )  # fmt: skip
        yield client


def invoke(client: object, name: str, event: dict[str, object]) -> tuple[dict[str, object], str | None]:
    response = client.invoke(FunctionName=name, Payload=json.dumps(event).encode())  # type: ignore[attr-defined]
    return json.loads(response["Payload"].read()), response.get("FunctionError")


def test_registered_handler_runs_with_the_functions_environment(lam: object, tmp_path: Path) -> None:
    handler = tmp_path / "greeter" / "handler.py"
    handler.parent.mkdir()
    handler.write_text(HANDLER)
    printed: list[tuple[str, str]] = []
    before = dict(os.environ)
    with InProcessLambda(sink=lambda fn, text: printed.append((fn, text))) as runtime:
        runtime.register("arn:aws:lambda:us-east-1:123456789012:function:greeter", handler)
        result, error = invoke(lam, "greeter", {"n": 1})
    assert error is None
    assert result["greeting"] == "hello"
    assert result["name"] == "greeter"
    assert 0 < int(result["left"]) <= 30_000  # type: ignore[call-overload]
    assert printed == [("greeter", "emf-line 1\n")]
    assert dict(os.environ) == before  # the function's variables are gone again
    assert [i.event for i in runtime.invocations] == [{"n": 1}]


def test_code_zip_is_used_when_nothing_is_registered(lam: object) -> None:
    with InProcessLambda():
        result, error = invoke(lam, "zipped", {"n": 2})
    assert error is None
    assert result["greeting"] == "from the zip"


def test_exception_comes_back_as_an_unhandled_function_error(lam: object) -> None:
    with InProcessLambda() as runtime:
        result, error = invoke(lam, "zipped", {"n": 3, "fail": True})
    assert error == "Unhandled"
    assert result["errorType"] == "ValueError"
    assert result["errorMessage"] == "bad input 3"
    assert runtime.invocations[0].error is not None


def test_uninstall_restores_the_echoing_backend(lam: object) -> None:
    with InProcessLambda():
        pass
    result, _ = invoke(lam, "zipped", {"n": 4})
    assert result == {"n": 4}  # moto's simple backend echoes the payload


def test_warm_within_a_runtime_cold_in_a_new_one(lam: object) -> None:
    with InProcessLambda():
        assert [invoke(lam, "zipped", {"n": n})[0]["calls"] for n in (1, 2)] == [1, 2]
    with InProcessLambda():
        assert invoke(lam, "zipped", {"n": 3})[0]["calls"] == 1


LOGGING_HANDLER = """
import logging
import sys

log = logging.getLogger("in-process-test")
log.addHandler(logging.StreamHandler(sys.stdout))  # bound to the stdout of import time, as Powertools does
log.setLevel(logging.INFO)

def handler(event, context):
    log.info("line %s", event["n"])
    return event["n"]
"""


def test_a_logger_created_at_import_writes_to_each_invocations_stdout(lam: object) -> None:
    # Given a handler whose module binds a logger to sys.stdout when it is imported
    client = boto3.client("lambda")
    client.update_function_code(FunctionName="zipped", ZipFile=zipped(LOGGING_HANDLER))
    # When it is invoked twice in one runtime (imported during the first call)
    with InProcessLambda() as runtime:
        for n in (1, 2):
            invoke(lam, "zipped", {"n": n})
    # Then each invocation's stdout has its own line, and the logger still works afterwards
    assert [i.stdout for i in runtime.invocations] == ["line 1\n", "line 2\n"]
    logging.getLogger("in-process-test").info("after the runtime")  # no closed stream
