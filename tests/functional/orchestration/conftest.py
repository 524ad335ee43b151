"""Fixtures for the orchestration tests: a state machine, an alert topic with a mailbox queue,
counted AWS requests, and moto made atomic per request like the real services."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from jada.settings import Settings
from jada.stores.counters import CounterStore
from jada.stores.tasks import TaskStore

from tests.conftest import Cloud

PASS_DEFINITION = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}})


@pytest.fixture
def state_machine(cloud: Cloud) -> str:
    """A state machine that only records its executions (moto does not run it by default)."""
    sfn = boto3.client("stepfunctions")
    arn: str = sfn.create_state_machine(
        name="jada-session", definition=PASS_DEFINITION, roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    return arn


@dataclass
class Mailbox:
    topic_arn: str
    queue_url: str

    def messages(self) -> list[dict[str, Any]]:
        """Every message published to the alert topic so far (SNS envelope: Subject, Message, ...)."""
        sqs = boto3.client("sqs")
        found: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            for m in batch:
                found.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture
def mailbox(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="jada-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="jada-mail")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    monkeypatch.setenv("ALERT_TOPIC_ARN", topic)
    return Mailbox(topic, queue)


@dataclass
class Counted:
    """boto3 clients from one session whose API calls are counted ("before-call" events)."""

    calls: list[str] = field(default_factory=list)
    session: boto3.Session = field(default_factory=boto3.Session)

    def __post_init__(self) -> None:
        def count(event_name: str, **_: Any) -> None:
            self.calls.append(event_name.removeprefix("before-call."))

        self.session.events.register("before-call", count)

    def tasks(self, cloud: Cloud) -> TaskStore:
        return TaskStore(cloud.tasks_table, table=self.session.resource("dynamodb").Table(cloud.tasks_table))

    def counters(self, cloud: Cloud) -> CounterStore:
        return CounterStore(
            cloud.counters_table, table=self.session.resource("dynamodb").Table(cloud.counters_table)
        )

    def sfn(self) -> Any:
        return self.session.client("stepfunctions")


@pytest.fixture
def counted() -> Callable[[], Counted]:
    return Counted


@pytest.fixture
def atomic_moto() -> Iterator[None]:
    """Real DynamoDB applies each conditional write atomically; moto's Python backend can
    interleave two threads inside one request. Serialize requests, as the service does."""
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.RLock()
    original = BotocoreStubber.__call__

    def locked(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, event_name, request, **kwargs)

    BotocoreStubber.__call__ = locked  # type: ignore[method-assign]
    try:
        yield
    finally:
        BotocoreStubber.__call__ = original  # type: ignore[method-assign]


def settings(**overrides: Any) -> Settings:
    return Settings(**{"sessions_per_day": 5, "max_concurrent_sessions": 10, **overrides})
