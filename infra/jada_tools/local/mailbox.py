"""The local mailbox: what SNS would email to the topics' email subscribers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from jada.clock import iso

from jada_tools.local.intrinsics import ACCOUNT


@dataclass(frozen=True)
class Email:
    at: str
    to: str
    subject: str
    body: str
    topic: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


class Mailbox:
    """Reads moto's record of every SNS publish (by handlers, the state machine or alarms) and
    delivers each to the topic's email subscriptions, stamped with the simulated time."""

    def __init__(self, region: str, account: str = ACCOUNT) -> None:
        self.region = region
        self.account = account
        self.emails: list[Email] = []
        self._seen: dict[str, int] = {}

    def _backend(self) -> Any:
        from moto.sns.models import sns_backends

        return sns_backends[self.account][self.region]

    def collect(self, now: datetime) -> list[Email]:
        backend = self._backend()
        new: list[Email] = []
        for arn, topic in list(backend.topics.items()):
            sent = list(topic.sent_notifications)
            start = self._seen.get(arn, 0)
            self._seen[arn] = len(sent)
            if start >= len(sent):
                continue
            recipients = [
                s.endpoint
                for s in list(backend.subscriptions.values())
                if s.topic.arn == arn and s.protocol in {"email", "email-json"}
            ]
            for _mid, message, subject, _attrs, _group in sent[start:]:
                for to in recipients:
                    new.append(Email(iso(now), to, subject or "AWS Notification Message", message, arn))
        self.emails.extend(new)
        return new
