"""One deployment of the synthesized app in moto for every crash test of this package (provisioned
once: each run resets its state), the crash injector on every boto3 client, the scripted model and
the Google fake on loopback, and a simulated clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from jada_tools.fakes.google_server import GoogleFake
from jada_tools.fakes.model_server import ModelServer
from jada_tools.local.emulator import LAMBDA_IN_PROCESS, REGION, reset_caches
from jada_tools.local.provision import Provisioner
from jada_tools.local.synth import LOCAL_CONTEXT, synthesize
from moto import mock_aws

from tests.functional.crash.faults import Injector
from tests.functional.crash.model import ScriptedModel
from tests.functional.crash.platform import Clock, Functions, StateMachine, ended_rule
from tests.functional.crash.sessions import SWEPT
from tests.functional.crash.world import START, World

API_KEY = "sk-ant-crash-test-0000"
SHEET_ID = "sheet-crash-1"

#: seconds left in the turn batch's context: enough for a model call (20 s + 10 s kept back), not
#: for a second one after the 2 s in-Lambda backoff, so a failed call goes to the state machine
#: at once (its Retry is what is under test) instead of sleeping for real
TURN_BATCH_TIME_LEFT = 31.0


@pytest.fixture(scope="package")
def google() -> Iterator[GoogleFake]:
    with GoogleFake(spreadsheet_id=SHEET_ID, clock=lambda: START) as fake:
        yield fake


@pytest.fixture(scope="package")
def sync_on_template() -> dict[str, Any]:
    """The app with a spreadsheet configured: the sync has its schedule (off without one)."""
    return synthesize({**LOCAL_CONTEXT, "alertEmail": "ops@example.com", "spreadsheetId": SHEET_ID}).template


@pytest.fixture(scope="package")
def world(sync_on_template: dict[str, Any], google: GoogleFake) -> Iterator[World]:
    app_template = sync_on_template
    injector = Injector().install()
    model = ScriptedModel()
    clock = Clock(START)
    try:
        with mock_aws(config=LAMBDA_IN_PROCESS), ModelServer(model, fault=injector.model_fault) as server:
            clock.start()
            reset_caches()
            provisioner = Provisioner(app_template, REGION)
            deployment = provisioner.run()
            [(machine_lid, machine_arn)] = deployment.state_machines.items()
            functions = Functions(deployment, injector, time_left={"turn_batch": TURN_BATCH_TIME_LEFT})
            _store_secrets(deployment)
            base_env = {
                "ANTHROPIC_BASE_URL": server.base_url,
                "GOOGLE_OAUTH_TOKEN_URI": google.token_uri,
                "SHEETS_API_ENDPOINT": google.sheets_endpoint,
                "SPREADSHEET_ID": SHEET_ID,
                "POWERTOOLS_TRACE_DISABLED": "1",
            }
            machine = StateMachine(
                json.loads(provisioner.definition(machine_lid)),
                functions,
                clock,
                machine_arn.rsplit(":", 1)[1],
            )
            yield World(
                deployment=deployment,
                functions=functions,
                injector=injector,
                model=model,
                clock=clock,
                machine=machine,
                machine_arn=machine_arn,
                rule=ended_rule(deployment, functions),
                base_env=base_env,
            )
    finally:
        clock.stop()
        injector.uninstall()
        reset_caches()


def _store_secrets(deployment: Any) -> None:
    sm = boto3.client("secretsmanager", region_name=REGION)
    for fn in deployment.functions.values():
        if secret := fn.environment.get("ANTHROPIC_SECRET_ID"):
            sm.put_secret_value(SecretId=secret, SecretString=json.dumps({"api_key": API_KEY}))
        if secret := fn.environment.get("GOOGLE_TOKEN_SECRET_ID"):
            sm.put_secret_value(SecretId=secret, SecretString=google_token())


def google_token() -> str:
    return json.dumps(
        {
            "refresh_token": "1//crash-refresh-token",
            "client_id": "client-crash.apps.googleusercontent.com",
            "client_secret": "GOCSPX-crash",
            "token_uri": "https://oauth2.googleapis.com/token",
            "scopes": ["https://www.googleapis.com/auth/spreadsheets.readonly"],
            "obtained_at": "2026-05-11T22:00:00Z",
            "app_status": "production",
        }
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SWEPT:
        terminalreporter.section("crash points")
        for target, name, calls, runs in SWEPT:
            terminalreporter.write_line(f"{target:12} {name:24} {calls:3} calls -> {runs:4} crash runs")


@pytest.fixture
def fresh(world: World) -> World:
    world.reset()
    return world
