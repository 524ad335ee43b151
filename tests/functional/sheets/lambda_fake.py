"""A loopback fake of the Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`) that runs
a real handler in-process: boto3's lambda client (AWS_ENDPOINT_URL_LAMBDA) reaches it unchanged."""

from __future__ import annotations

import contextlib
import io
import json
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from jada_tools.fakes.loopback import LoopbackServer

from tests.conftest import LambdaContext

Handler = Callable[[dict[str, Any], Any], Any]


class FakeLambda(LoopbackServer):
    name = "fake-lambda"

    def __init__(self, functions: dict[str, Handler]) -> None:
        super().__init__()
        self.functions = functions
        self.invocations: list[tuple[str, dict[str, Any]]] = []
        self.logs = io.StringIO()  # what the function printed (its CloudWatch Logs)

    @property
    def endpoint(self) -> str:
        return self.base_url

    def _invoke(self, name: str, event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        self.invocations.append((name, event))
        function = self.functions.get(name)
        if function is None:
            body = {"Type": "User", "message": f"Function not found: {name}"}
            return 404, {"x-amzn-ErrorType": "ResourceNotFoundException"}, body
        try:
            with contextlib.redirect_stdout(self.logs):  # the caller is blocked on this call meanwhile
                return 200, {}, function(event, LambdaContext())
        except Exception as exc:  # what Lambda reports for an unhandled exception
            error = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            return 200, {"X-Amz-Function-Error": "Unhandled"}, error

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                return

            def do_POST(self) -> None:
                parts = self.path.split("?")[0].split(
                    "/"
                )  # ['', '2015-03-31', 'functions', NAME, 'invocations']
                length = int(self.headers.get("Content-Length") or 0)
                event = json.loads(self.rfile.read(length) or b"{}")
                status, headers, body = fake._invoke(unquote(parts[3]), event)
                raw = json.dumps(body).encode()
                self.send_response(status)
                for key, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        return Handler
