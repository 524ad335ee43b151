"""The emulated AWS: a synthesized template provisioned in moto, its state machines executing,
its functions running their real handler files in-process.

    with emulate(template) as cloud:
        boto3.client("lambda").invoke(FunctionName=cloud.deployment.function_by_folder("poll").name)

This is the one harness: `jada local run` (on a simulated clock) and the functional tests (in
real time, Wait states and retry intervals recorded but not slept) both go through it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jada_tools.local.moto_lambda import InProcessLambda, Sink
from jada_tools.local.provision import Deployment, provision
from jada_tools.local.simclock import MotoS3Ticks, MotoSleepPatch, SimClock

REGION = "us-east-1"
#: moto runs Lambda functions without Docker (in-process, once InProcessLambda is installed)
LAMBDA_IN_PROCESS: Any = {"lambda": {"use_docker": False}}
MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, **LAMBDA_IN_PROCESS}


@dataclass
class Emulated:
    deployment: Deployment
    runtime: InProcessLambda
    sleeps: MotoSleepPatch


def reset_caches() -> None:
    """Cold starts: fresh handler modules, clients and secret caches."""
    from aws_lambda_powertools.utilities import parameters
    from jada import aws

    for name in [m for m in sys.modules if m.startswith("_jada_lambda")]:
        del sys.modules[name]
    parameters.clear_caches()
    aws.reset()
    with contextlib.suppress(ImportError):
        from jada.agent import client

        client.reset()


@contextlib.contextmanager
def emulate(
    template: dict[str, Any],
    *,
    clock: SimClock | None = None,
    sink: Sink | None = None,
    extra_env: Mapping[str, str] | None = None,
    region: str = REGION,
) -> Iterator[Emulated]:
    """`template` deployed in a fresh moto; with `clock`, moto's dates and sleeps follow it (the
    clock is started here). `sink` gets each invocation's stdout; `extra_env` is set on every
    invocation after the function's own variables."""
    from moto import mock_aws

    with contextlib.ExitStack() as stack:
        reset_caches()
        stack.callback(reset_caches)
        stack.enter_context(mock_aws(config=MOTO_CONFIG))
        if clock is not None:
            clock.start()
            stack.callback(clock.stop)
            stack.enter_context(MotoS3Ticks())
        deployment = provision(template, region)
        runtime = InProcessLambda(sink=sink, extra_env=extra_env).register_deployment(deployment)
        stack.enter_context(runtime)
        sleeps = stack.enter_context(MotoSleepPatch(clock))
        yield Emulated(deployment, runtime, sleeps)
