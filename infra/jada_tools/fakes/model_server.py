"""A loopback fake of the Anthropic Messages API, for tests and the local cloud.

It serves `POST /v1/messages` and `POST /v1/messages/count_tokens` on 127.0.0.1 (a free port),
hands each request body to a pluggable `responder(request) -> (status, headers, body)`, and
records every request body and its headers. The helpers below build responses shaped like the
real API's, valid under `Anthropic(..., _strict_response_validation=True)`: text and tool calls,
`pause_turn` replies, server-tool blocks (web search / fetch, with `usage.server_tool_use`) and the
MCP connector's blocks. A request using the MCP connector without its beta header, or whose
servers and toolsets do not match, gets the 400 the real API gives.

    with ModelServer(scripted(reply(tool_use("complete_task", {"summary": "done"})))) as server:
        client = Anthropic(base_url=server.base_url, api_key="test")

A `fault(request) -> DROP_BEFORE | DROP_AFTER | None` hook drops the connection before the request
is handled (the client gets no answer, nothing is recorded) or after (the responder ran and the
request is recorded, but the answer is lost): a crash at a model call.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler
from typing import Any

from jada_tools.fakes.loopback import LoopbackServer

Response = tuple[int, dict[str, str], dict[str, Any]]
Responder = Callable[[dict[str, Any]], Response]
#: what a fault hook returns to drop the connection before handling a request, or after
DROP_BEFORE, DROP_AFTER = "drop_before", "drop_after"
Fault = Callable[[dict[str, Any]], str | None]

DEFAULT_MODEL = "claude-sonnet-5-5"
_ids = itertools.count(1)


# --- response builders ------------------------------------------------------------------------
def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool_use(name: str, tool_input: dict[str, Any], tool_use_id: str | None = None) -> dict[str, Any]:
    return {
        "type": "tool_use",
        "id": tool_use_id or f"toolu_{next(_ids):020d}",
        "name": name,
        "input": tool_input,
    }


def server_tool_use(name: str, tool_input: dict[str, Any], tool_use_id: str | None = None) -> dict[str, Any]:
    """A call of a server tool (`web_search`, `web_fetch`) that Anthropic ran."""
    return {
        "type": "server_tool_use",
        "id": tool_use_id or f"srvtoolu_{next(_ids):020d}",
        "name": name,
        "input": tool_input,
    }


def web_search_result(tool_use_id: str, *pages: tuple[str, str]) -> dict[str, Any]:
    """A `web_search_tool_result` with (title, url) pages, each with opaque encrypted content."""
    results = [
        {"type": "web_search_result", "title": title, "url": url, "encrypted_content": f"enc-{i}-{url}",
         "page_age": None}
        for i, (title, url) in enumerate(pages)
    ]  # fmt: skip
    return {"type": "web_search_tool_result", "tool_use_id": tool_use_id, "content": results}


def web_fetch_result(tool_use_id: str, url: str, page_text: str) -> dict[str, Any]:
    return {
        "type": "web_fetch_tool_result",
        "tool_use_id": tool_use_id,
        "content": {
            "type": "web_fetch_result",
            "url": url,
            "retrieved_at": "2026-05-12T22:00:00Z",
            "content": {
                "type": "document",
                "source": {"type": "text", "media_type": "text/plain", "data": page_text},
                "title": url,
            },
        },
    }


def mcp_tool_use(
    server_name: str, name: str, tool_input: dict[str, Any], tool_use_id: str | None = None
) -> dict[str, Any]:
    """A call of a remote MCP server's tool that the MCP connector made (beta)."""
    return {
        "type": "mcp_tool_use",
        "id": tool_use_id or f"mcptoolu_{next(_ids):020d}",
        "name": name,
        "server_name": server_name,
        "input": tool_input,
    }


def mcp_tool_result(tool_use_id: str, result: str, *, is_error: bool = False) -> dict[str, Any]:
    return {
        "type": "mcp_tool_result",
        "tool_use_id": tool_use_id,
        "is_error": is_error,
        "content": [{"type": "text", "text": result}],
    }


def usage(
    input_tokens: int = 100,
    output_tokens: int = 20,
    cache_creation_input_tokens: int = 0,
    cache_read_input_tokens: int = 0,
    *,
    web_search_requests: int = 0,
    web_fetch_requests: int = 0,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": cache_creation_input_tokens,
        "cache_read_input_tokens": cache_read_input_tokens,
    }
    if web_search_requests or web_fetch_requests:
        block["server_tool_use"] = {
            "web_search_requests": web_search_requests,
            "web_fetch_requests": web_fetch_requests,
        }
    return block


def message(
    content: Iterable[dict[str, Any]],
    stop_reason: str | None = None,
    *,
    model: str = DEFAULT_MODEL,
    usage_block: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Messages API response body. `stop_reason` defaults to tool_use when a tool is called."""
    blocks = list(content)
    if stop_reason is None:
        stop_reason = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
    return {
        "id": f"msg_{next(_ids):020d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage_block or usage(),
    }


def paused(*blocks: dict[str, Any], **kwargs: Any) -> Response:
    """A `pause_turn` reply: the server paused a long turn (send the content back to continue)."""
    return reply(*blocks, stop_reason="pause_turn", **kwargs)


def ok(body: dict[str, Any]) -> Response:
    return 200, {}, body


def reply(*blocks: dict[str, Any], stop_reason: str | None = None, **kwargs: Any) -> Response:
    """A 200 response carrying these content blocks."""
    return ok(message(blocks, stop_reason, **kwargs))


def error(
    status: int,
    error_type: str,
    msg: str,
    *,
    headers: dict[str, str] | None = None,
    error_code: str | None = None,
) -> Response:
    err: dict[str, Any] = {"type": error_type, "message": msg}
    if error_code:
        err["details"] = {"error_code": error_code}
    return status, dict(headers or {}), {"type": "error", "error": err}


def rate_limited(retry_after: int | None = 1) -> Response:
    headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
    return error(
        429, "rate_limit_error", "Number of request tokens has exceeded your rate limit.", headers=headers
    )


def spend_limit_reached() -> Response:
    return error(
        429,
        "rate_limit_error",
        "You have reached your specified API usage limits.",
        error_code="enforced_spend_limit_reached",
        headers={"x-should-retry": "false"},
    )


def overloaded() -> Response:
    return error(529, "overloaded_error", "Overloaded")


def server_error(status: int = 500) -> Response:
    return error(status, "api_error", "Internal server error")


def unauthorized() -> Response:
    return error(401, "authentication_error", "invalid x-api-key")


def bad_request(msg: str = "messages: roles must alternate") -> Response:
    return error(400, "invalid_request_error", msg)


# --- responders -------------------------------------------------------------------------------
def scripted(*responses: Response | Responder) -> Responder:
    """Answer requests in order with these responses (or responders); the last one repeats."""
    queue = list(responses)
    lock = threading.Lock()

    def respond(request: dict[str, Any]) -> Response:
        with lock:
            item = queue.pop(0) if len(queue) > 1 else queue[0]
        return item(request) if callable(item) else item

    return respond


def count_tokens(request: dict[str, Any]) -> int:
    """A rough token count (4 characters a token), deterministic."""
    sized = {k: request.get(k) for k in ("system", "tools", "messages")}
    return max(1, len(json.dumps(sized, separators=(",", ":"))) // 4)


MCP_BETA_PREFIX = "mcp-client-"


def connector_problem(body: dict[str, Any], headers: dict[str, str]) -> str | None:
    """What the real API would refuse about a request's MCP connector use (None: nothing)."""
    toolsets = [t for t in body.get("tools") or [] if t.get("type") == "mcp_toolset"]
    servers = body.get("mcp_servers")
    if not toolsets and servers is None:
        return None
    betas = [b.strip() for b in headers.get("anthropic-beta", "").split(",")]
    if not any(b.startswith(MCP_BETA_PREFIX) for b in betas):
        return "mcp_servers and mcp_toolset need the anthropic-beta header mcp-client-..."
    names = [s.get("name") for s in servers or []]
    for server in servers or []:
        if server.get("type") != "url" or not str(server.get("url", "")).startswith("https://"):
            return f"mcp_servers: {server.get('name')}: url must start with https://"
    used = [t.get("mcp_server_name") for t in toolsets]
    if sorted(used) != sorted(names) or len(set(names)) != len(names):
        return "each MCP server must be referenced by exactly one mcp_toolset"
    return None


# --- the server -------------------------------------------------------------------------------
class ModelServer(LoopbackServer):
    """A threaded HTTP server on 127.0.0.1 faking the Messages API."""

    name = "model-server"

    def __init__(self, responder: Responder | None = None, fault: Fault | None = None) -> None:
        self.responder: Responder = responder or scripted(reply(text("ok")))
        #: decides, per request, whether the connection drops before or after handling it
        self.fault: Fault | None = fault
        #: every POST /v1/messages body, in arrival order
        self.requests: list[dict[str, Any]] = []
        #: the raw bytes of each of those bodies (for prefix comparisons)
        self.raw_requests: list[bytes] = []
        #: the headers of each of those requests
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        super().__init__()

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._send(*bad_request("request body is not JSON"))
                    return
                path = self.path.split("?")[0]
                if path == "/v1/messages/count_tokens":
                    self._send(200, {}, {"input_tokens": count_tokens(body)})
                elif path == "/v1/messages":
                    fault = server.fault(body) if server.fault else None
                    if fault == DROP_BEFORE:
                        self._drop()
                        return
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    with server._lock:
                        server.requests.append(body)
                        server.raw_requests.append(raw)
                        server.headers.append(headers)
                    problem = connector_problem(body, headers)
                    response = bad_request(problem) if problem else server.responder(body)
                    if fault == DROP_AFTER:
                        self._drop()
                        return
                    self._send(*response)
                else:
                    self._send(*error(404, "not_found_error", f"no route {path}"))

            def _drop(self) -> None:
                """Close the connection without an answer (the client sees it disconnect)."""
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

            def _send(self, status: int, headers: dict[str, str], body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("request-id", f"req_{next(_ids):012d}")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler
