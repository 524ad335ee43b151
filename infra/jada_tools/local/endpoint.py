"""The local cloud's AWS endpoint: moto's server app on 127.0.0.1, answering from the backends of
this process (the ones the handlers and the simulator use under `mock_aws`), so a `jada` command
in another terminal sees and changes the same tables, executions, secrets and alarms.

moto's backends are module-level registries shared by every caller in a process: `mock_aws`
routes in-process boto3 calls to them and the server app dispatches HTTP requests to the same
ones. A Lambda Invoke arriving over HTTP goes through moto's Lambda backend, i.e. the in-process
runtime, and runs the real handler in this process (on the request's thread).

Besides the AWS APIs it answers `GET /jada-local/clock` with `{"now", "speed", "region"}`: the
simulated time, so a command's "now" (today's quota, ages, timestamps) is the local cloud's.

    with LocalEndpoint(4567, info=lambda: {...}, atomic=atomic) as endpoint:
        print(endpoint.url)
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from jada_tools.local.atomic import AtomicRequests, WsgiApp

CLOCK_PATH = "/jada-local/clock"
HOST = "127.0.0.1"
#: `jada local serve --port` unless told otherwise
DEFAULT_PORT = 4567


class EndpointError(RuntimeError):
    """The endpoint cannot listen (e.g. the port is taken)."""


def _with_clock(app: WsgiApp, info: Callable[[], dict[str, Any]]) -> WsgiApp:
    def clock_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == CLOCK_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps(info()).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return app(environ, start_response)

    return clock_app


def listen(port: int, host: str = HOST) -> socket.socket:
    """A socket listening on host:port (0: any free port), to hand to `LocalEndpoint` later."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug: restart at once
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise EndpointError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


class LocalEndpoint:
    def __init__(
        self,
        port: int,
        *,
        info: Callable[[], dict[str, Any]],
        atomic: AtomicRequests | None = None,
        host: str = HOST,
        sock: socket.socket | None = None,
    ) -> None:
        """`sock`: a socket from `listen` (the port reserved early); else one is opened on start."""
        self.host = host
        self.port = port
        self._sock = sock
        self.info = info
        self.atomic = atomic
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalEndpoint:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *_args: Any) -> None:  # one line per request is noise here
                return None

        app: WsgiApp = DomainDispatcherApplication(create_backend_app)
        if self.atomic is not None:
            app = self.atomic.wsgi(app)
        # werkzeug would print and exit on a taken port: listen first, hand it the socket
        listening = self._sock or listen(self.port, self.host)
        self._sock = None
        try:
            self._server = make_server(
                self.host,
                self.port,
                _with_clock(app, self.info),
                threaded=True,
                request_handler=QuietHandler,
                fd=listening.fileno(),
            )
        finally:
            listening.close()  # the server holds its own duplicate
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="jada-endpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting requests and free the port."""
        if self._server is None:
            return
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server.server_close()
        self._server = self._thread = None

    def __enter__(self) -> LocalEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
