"""The synthesized orchestration deployed into moto: tables, topic, secret, the three functions
(real handlers, run in-process) and the state machine from the template's own definition."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from jada import aws as jada_aws
from jada.agent import client as agent_client
from jada.clock import iso, utcnow
from jada.stores import schema
from jada.stores.tasks import TaskStore
from jada_tools.local.moto_lambda import InProcessLambda
from moto import mock_aws

from tests.infra.orchestration_template import FUNCTIONS, function_id, only, resolve, state_machine_definition

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT, REGION = "123456789012", "us-east-1"
MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


@dataclass
class Deployed:
    names: dict[str, str]
    machine_arn: str
    runtime: InProcessLambda
    mail_queue: str
    retry_sleeps: list[float] = field(default_factory=list)

    @property
    def tasks(self) -> TaskStore:
        return TaskStore(self.names["tasks"])

    def poll(self) -> dict[str, Any]:
        """Invoke the poll function as the schedule does, with the scheduled time as input."""
        response = boto3.client("lambda").invoke(
            FunctionName=self.names["poll"], Payload=json.dumps({"scheduled_time": iso(utcnow())}).encode()
        )
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
        return sum(1 for i in self.runtime.invocations if i.function_name == self.names[folder])

    def emails(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        out: list[dict[str, Any]] = []
        while batch := sqs.receive_message(QueueUrl=self.mail_queue, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for m in batch:
                out.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=self.mail_queue, ReceiptHandle=m["ReceiptHandle"])
        return out


def _patch_retry_sleep(sleeps: list[float]) -> Any:
    """Step Functions Retry intervals: recorded, not slept (moto sleeps in real time)."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    class _Time:
        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            sleeps.append(seconds)

    saved = retrier_decl.time
    retrier_decl.time = _Time()  # type: ignore[assignment]
    return lambda: setattr(retrier_decl, "time", saved)


@contextmanager
def deploy(
    template: dict[str, Any], model_base_url: str, settings_env: dict[str, str] | None = None
) -> Iterator[Deployed]:
    """`settings_env` overrides settings in every function's environment (e.g. SESSIONS_PER_DAY)."""
    jada_aws.reset()
    agent_client.reset()
    with mock_aws(config=MOTO_CONFIG):
        ddb, sqs, sns = boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("sns")
        refs: dict[str, str] = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT}
        names: dict[str, str] = {}
        for key, prefix, spec in (
            ("tasks", "StateTasks", schema.TASKS),
            ("counters", "StateCounters", schema.COUNTERS),
            ("checkpoints", "StateCheckpoints", schema.CHECKPOINTS),
        ):
            lid, _ = only(template, "AWS::DynamoDB::Table", prefix)
            ddb.create_table(**spec.create_kwargs(f"jada-{key}"))
            refs[lid] = names[key] = f"jada-{key}"
        bucket_lid, _ = only(template, "AWS::S3::Bucket", "StateCheckpointBucket")
        boto3.client("s3").create_bucket(Bucket="jada-checkpoint-objects")
        refs[bucket_lid] = "jada-checkpoint-objects"
        topic_lid, _ = only(template, "AWS::SNS::Topic", "AlertingAlertTopic")
        refs[topic_lid] = topic = sns.create_topic(Name="jada-alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="mail")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=attributes["QueueArn"])
        secret_lid, _ = only(template, "AWS::SecretsManager::Secret", "OrchestrationAnthropic")
        refs[secret_lid] = boto3.client("secretsmanager").create_secret(
            Name="jada-anthropic", SecretString=json.dumps({"api_key": "sk-test-not-a-real-key"})
        )["ARN"]
        role = boto3.client("iam").create_role(RoleName="jada-fn", AssumeRolePolicyDocument="{}")["Role"][
            "Arn"
        ]
        fn_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:jada-{{}}"
        arns = {function_id(template, f): fn_arn.format(f) for f in FUNCTIONS}
        machine_lid, _ = only(template, "AWS::StepFunctions::StateMachine")
        machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:jada-session"
        refs[machine_lid] = machine
        definition = state_machine_definition(template, arns)
        boto3.client("stepfunctions").create_state_machine(
            name="jada-session", definition=json.dumps(definition), roleArn=role
        )
        lam = boto3.client("lambda")
        runtime = InProcessLambda(extra_env={"ANTHROPIC_BASE_URL": model_base_url})
        for folder in FUNCTIONS:
            props = template["Resources"][function_id(template, folder)]["Properties"]
            env = resolve(props["Environment"]["Variables"], {**arns, **refs})
            env.update({"POWERTOOLS_TRACE_DISABLED": "1", **(settings_env or {})})
            lam.create_function(
                FunctionName=f"jada-{folder}", Runtime="python3.13", Role=role, Handler=props["Handler"],
                Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18}, Timeout=props["Timeout"],
                MemorySize=props["MemorySize"], Environment={"Variables": env},
            )  # fmt: skip
            runtime.register(f"jada-{folder}", ROOT / "functions" / folder / "handler.py")
            names[folder] = f"jada-{folder}"
        sleeps: list[float] = []
        restore = _patch_retry_sleep(sleeps)
        try:
            with runtime:
                yield Deployed(names, machine, runtime, queue, sleeps)
        finally:
            restore()
            jada_aws.reset()
            agent_client.reset()
