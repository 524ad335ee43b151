"""Observes every Lambda invocation in moto (after the in-process runtime is installed) and records
the AWS/Lambda metrics CloudWatch would: Invocations and Errors per function.

`latency(function_name, request, response)` may return simulated seconds the call took: the calling
execution then waits that long on the simulated clock (outside the handler lock), so sessions of
the offline model last as long as their turns would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from jada_tools.local.metrics import MetricStore
from jada_tools.local.simclock import SimClock


class LambdaTap:
    def __init__(
        self, clock: SimClock, metrics: MetricStore, latency: Callable[[str, Any, Any], float] | None = None
    ) -> None:
        self.clock = clock
        self.metrics = metrics
        self.latency = latency
        self._original: Any = None

    def __enter__(self) -> LambdaTap:
        from moto.awslambda_simple.models import LambdaSimpleBackend

        self._original = LambdaSimpleBackend.__dict__["invoke"]
        original, tap = self._original, self

        def invoke(backend: Any, function_name: str, *args: Any) -> Any:
            result = original(backend, function_name, *args)
            response_headers = args[-1] if args else {}
            failed = bool((response_headers or {}).get("x-amz-function-error"))
            tap.record(function_name, failed)
            if (
                tap.latency is not None
                and not failed
                and threading.current_thread() is not threading.main_thread()
            ):
                tap.clock.sleep(tap.latency(function_name, args[1] if len(args) > 1 else None, result))
            return result

        LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        from moto.awslambda_simple.models import LambdaSimpleBackend

        LambdaSimpleBackend.invoke = self._original  # type: ignore[method-assign]

    def record(self, function_name: str, failed: bool) -> None:
        name = function_name.rsplit(":function:", maxsplit=1)[-1].split(":", maxsplit=1)[0]
        at = self.clock.now
        self.metrics.put("AWS/Lambda", "Invocations", {"FunctionName": name}, at, 1)
        self.metrics.put("AWS/Lambda", "Errors", {"FunctionName": name}, at, 1 if failed else 0)
