"""One AWS request at a time, as the services apply them.

moto's backends are plain Python: two threads (an operator command arriving over HTTP, a handler
running in an execution) can interleave inside one request, e.g. between a conditional write's
check and its write, which real DynamoDB never does. `AtomicRequests` holds one lock around each
request, whether it arrives in-process (moto's botocore stubber) or over HTTP (`wsgi`).

Lambda invocations are the exception: an Invoke runs the handler, whose own requests are atomic
one by one. Holding the lock for a whole handler run would queue every request behind a model call
and deadlock with executions that wait on the simulated clock.

    with AtomicRequests() as atomic:
        server = make_server(host, port, atomic.wsgi(app))
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

#: REST paths of Lambda's Invoke (and its streaming variant)
_INVOKE_PATH = re.compile(r"/functions/[^/]+/(response-streaming-)?invocations$")
_INVOKE_EVENTS = ("before-send.lambda.Invoke", "before-send.lambda.InvokeWithResponseStream")

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


class AtomicRequests:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._original: Any = None

    def __enter__(self) -> AtomicRequests:
        from moto.core.botocore_stubber import BotocoreStubber

        original, lock = BotocoreStubber.__call__, self.lock

        def call(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
            if event_name in _INVOKE_EVENTS:
                return original(stubber, event_name, request, **kwargs)
            with lock:
                return original(stubber, event_name, request, **kwargs)

        self._original = original
        BotocoreStubber.__call__ = call  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        from moto.core.botocore_stubber import BotocoreStubber

        if self._original is not None:
            BotocoreStubber.__call__ = self._original  # type: ignore[method-assign]
            self._original = None

    def wsgi(self, app: WsgiApp) -> WsgiApp:
        """`app` with each request (but Lambda's Invoke) applied under the lock, body included."""
        lock = self.lock

        def atomic_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            if _INVOKE_PATH.search(environ.get("PATH_INFO", "")):
                return app(environ, start_response)
            with lock:
                body = app(environ, start_response)
                try:
                    return list(body)
                finally:
                    close = getattr(body, "close", None)
                    if close is not None:
                        close()

        return atomic_app
