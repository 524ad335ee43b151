"""Find the deployed stack's resources from its CloudFormation outputs.

`--stack NAME` (default `Jada`); `AWS_ENDPOINT_URL` points every client elsewhere (e.g. moto).
`JADA_OUTPUTS_JSON` (a JSON object of output name -> value) skips the CloudFormation look-up:
the local cloud uses it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache

from botocore.exceptions import BotoCoreError, ClientError
from jada import aws
from jada.errors import ConfigurationError
from jada.telemetry import STACK_NAME

DEFAULT_STACK = STACK_NAME


@dataclass(frozen=True)
class StackOutputs:
    values: dict[str, str]
    stack: str = DEFAULT_STACK

    def __getitem__(self, name: str) -> str:
        try:
            return self.values[name]
        except KeyError:
            raise ConfigurationError(
                f"stack {self.stack} has no output {name}; is it deployed with this version of jada?"
            ) from None


@cache
def outputs(stack: str = DEFAULT_STACK) -> StackOutputs:
    override = os.environ.get("JADA_OUTPUTS_JSON")
    if override:
        return StackOutputs(json.loads(override), stack)
    try:
        described = aws.client("cloudformation").describe_stacks(StackName=stack)
    except (ClientError, BotoCoreError) as exc:
        raise ConfigurationError(f"cannot read stack {stack}: {exc}") from exc
    found = described["Stacks"][0].get("Outputs", [])
    return StackOutputs({o["OutputKey"]: o["OutputValue"] for o in found}, stack)
