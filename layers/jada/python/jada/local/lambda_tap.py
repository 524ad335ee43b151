"""Observes every Lambda invocation in moto (after the in-process runtime is installed) and records
the AWS/Lambda metrics CloudWatch would: Invocations and Errors per function."""

from __future__ import annotations

from typing import Any

from jada.local.metrics import MetricStore
from jada.local.simclock import SimClock


class LambdaTap:
    def __init__(self, clock: SimClock, metrics: MetricStore) -> None:
        self.clock = clock
        self.metrics = metrics
        self._original: Any = None

    def __enter__(self) -> LambdaTap:
        from moto.awslambda_simple.models import LambdaSimpleBackend

        self._original = LambdaSimpleBackend.__dict__["invoke"]
        original, tap = self._original, self

        def invoke(backend: Any, function_name: str, *args: Any) -> Any:
            result = original(backend, function_name, *args)
            response_headers = args[-1] if args else {}
            tap.record(function_name, bool((response_headers or {}).get("x-amz-function-error")))
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
