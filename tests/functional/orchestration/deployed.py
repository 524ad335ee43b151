"""The synthesized app deployed into moto by the local cloud's emulator (real handlers, run
in-process), in real time: Step Functions retry intervals are recorded, not slept."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from jada.clock import utcnow
from jada.stores.tasks import TaskStore
from jada_tools.local.emulator import Emulated, emulate
from jada_tools.local.engine import fill_context
from jada_tools.local.mailbox import Email, Mailbox

#: what the turn batch reads from its secret (a placeholder: the model server does not check it)
API_KEY = "sk-test-not-a-real-key"


@dataclass
class Deployed:
    cloud: Emulated
    mailbox: Mailbox

    @property
    def tasks(self) -> TaskStore:
        return TaskStore(self._function("poll").environment["TASKS_TABLE"])

    @property
    def machine_arn(self) -> str:
        [arn] = self.cloud.deployment.state_machines.values()
        return arn

    @property
    def retry_sleeps(self) -> list[float]:
        return self.cloud.sleeps.retries

    def _function(self, folder: str) -> Any:
        fn = self.cloud.deployment.function_by_folder(folder)
        assert fn is not None, f"the template has no function built from functions/{folder}"
        return fn

    def poll(self) -> dict[str, Any]:
        """Invoke the poll function as its schedule does, with the scheduled time as input."""
        poll = self._function("poll")
        [schedule] = [s for s in self.cloud.deployment.schedules if s.target_arn == poll.arn]
        payload = fill_context(schedule, utcnow())
        response = boto3.client("lambda").invoke(FunctionName=poll.name, Payload=payload.encode())
        result: dict[str, Any] = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, result
        return result

    def wait(self, timeout_s: float = 300) -> list[dict[str, Any]]:
        """Block until no execution runs; returns every execution, described."""
        sfn = boto3.client("stepfunctions")
        deadline = time.monotonic() + timeout_s
        while True:
            listed = sfn.list_executions(stateMachineArn=self.machine_arn)["executions"]
            if all(e["status"] != "RUNNING" for e in listed):
                return [sfn.describe_execution(executionArn=e["executionArn"]) for e in listed]
            if time.monotonic() > deadline:
                raise TimeoutError(f"executions still running: {[e['name'] for e in listed]}")
            time.sleep(0.05)

    def run_sessions(self, polls: int) -> list[dict[str, Any]]:
        for _ in range(polls):
            self.poll()
            self.wait()
        return self.wait()

    def invocations(self, folder: str) -> int:
        name = self._function(folder).name
        return sum(1 for i in self.cloud.runtime.invocations if i.function_name == name)

    def emails(self) -> list[Email]:
        """What reached the alert email subscription since the last call."""
        return self.mailbox.collect(utcnow())


@contextmanager
def deploy(
    template: dict[str, Any], model_base_url: str, settings_env: dict[str, str] | None = None
) -> Iterator[Deployed]:
    """`settings_env` overrides settings in every function's environment (e.g. SESSIONS_PER_DAY)."""
    with emulate(template, extra_env={"ANTHROPIC_BASE_URL": model_base_url}) as cloud:
        lam = boto3.client("lambda")
        for fn in cloud.deployment.functions.values():
            if settings_env:
                env = {**fn.environment, **settings_env}
                lam.update_function_configuration(FunctionName=fn.name, Environment={"Variables": env})
            if secret := fn.environment.get("ANTHROPIC_SECRET_ID"):
                boto3.client("secretsmanager").put_secret_value(
                    SecretId=secret, SecretString=json.dumps({"api_key": API_KEY})
                )
        yield Deployed(cloud, Mailbox(cloud.deployment.region))
