"""The in-process Lambda runtime for moto: real handler files, env, context, stdout, errors."""

from __future__ import annotations

import io
import json
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
