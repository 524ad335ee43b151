"""`JADA_ENDPOINT=http://127.0.0.1:P`: every command talks to that endpoint instead of AWS (the
local cloud of `jada local serve`). Set up once, at start-up, before any AWS client exists; the
commands themselves run the same code as against a deployed stack.

- `AWS_ENDPOINT_URL` (honoured by botocore) points every client there; service-specific endpoint
  variables and `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` are cleared so no request escapes to AWS.
- Credentials are fake (`local`) and any profile is unset: real credentials never reach it.
- The region is the endpoint's, and the command's clock follows the endpoint's simulated clock
  (time-machine): "today", ages and timestamps are the local cloud's, as they are the stack's on
  AWS. Both come from `GET <endpoint>/jada-local/clock`; an endpoint that does not answer it (a
  plain moto server) gets region us-east-1 and the wall clock.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime

from jada.clock import parse_time

from jada_tools.cli.common import CliError

ENV = "JADA_ENDPOINT"
CLOCK_PATH = "/jada-local/clock"
DEFAULT_REGION = "us-east-1"
PROBE_TIMEOUT_S = 2.0
_URL = re.compile(r"^https?://[^/\s?#]+$")
#: settings that would send requests elsewhere or use real credentials
_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")


@dataclass(frozen=True)
class EndpointClock:
    now: datetime
    speed: float
    region: str


def probe(url: str, timeout: float = PROBE_TIMEOUT_S) -> EndpointClock | None:
    """The endpoint's simulated clock and region, or None if it does not say."""
    import urllib.request

    try:
        with urllib.request.urlopen(url + CLOCK_PATH, timeout=timeout) as response:  # noqa: S310 - http(s) only
            data = json.loads(response.read())
        return EndpointClock(parse_time(data["now"]), float(data["speed"]), str(data["region"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def follow_clock(clock: EndpointClock) -> bool:
    """Move this process's clock to the endpoint's (ticking from there); False without time-machine."""
    try:
        import time_machine
    except ImportError:
        return False
    time_machine.travel(clock.now, tick=True).start()  # for the rest of this short-lived process
    return True


def configure(
    environ: MutableMapping[str, str] | None = None,
    *,
    follow: Callable[[EndpointClock], bool] = follow_clock,
) -> str | None:
    """Point the process at `JADA_ENDPOINT` if it is set; returns the endpoint (None: AWS)."""
    env = os.environ if environ is None else environ
    url = env.get(ENV, "").strip().rstrip("/")
    if not url:
        return None
    if not _URL.match(url):
        raise CliError(f"{ENV}={url!r} is not an endpoint URL such as http://127.0.0.1:4567")
    clock = probe(url)
    for key in [k for k in env if k in _CLEARED or k.startswith("AWS_ENDPOINT_URL_")]:
        del env[key]
    region = clock.region if clock else DEFAULT_REGION
    env.update({
        "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
    })  # fmt: skip
    if clock is not None:
        follow(clock)
    return url
