"""Generated Messages API replies through a real turn batch: the production `anthropic` client (as
`build_client` makes it: no SDK retries, no strict validation) against a loopback server that sends
whatever bytes it is given, stores in moto. Replies: unknown block types, empty or missing content,
missing, zero or nonsense usage, huge tool inputs, tool_use blocks without ids or with one id twice,
unknown stop reasons, error statuses, non-JSON and non-object bodies.

The property: a batch returns a status or raises one of jada's named model errors (the Step Functions
Retry/Catch contract), and the session's checkpoint loads afterwards (no CheckpointMissing or
CheckpointCorrupt); batches run after it (the retry, the next batch) keep that promise."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from jada.agent import client as agent_client
from jada.agent.tools import Registry
from jada.agent.turns import Agent, BatchResult, BatchState, run_batch
from jada.clock import iso
from jada.errors import FATAL_ERRORS, RETRYABLE_ERRORS, CheckpointError, JadaError
from jada.lifecycle import CONTINUE, SessionOutcome
from jada.models import SessionRecord
from jada.settings import Resources, Settings
from jada_tools.fakes.loopback import LoopbackServer
from jada_tools.fakes.model_server import message, text, tool_use

from tests.conftest import NOW, Cloud
from tests.fuzz.profiles import fuzz
from tests.fuzz.strategies import hostile_text, huge_text, json_values

#: a raw reply: status, headers, body bytes
Raw = tuple[int, dict[str, str], bytes]
#: the named errors a turn batch may raise for a model reply (checkpoint errors are failures here)
MODEL_ERRORS = set(RETRYABLE_ERRORS + FATAL_ERRORS) - {"CheckpointMissing", "CheckpointCorrupt"}
STATUSES = {CONTINUE, *(o.value for o in SessionOutcome)}
JSON = {"content-type": "application/json"}
TOOLS = ("complete_task", "create_task", "save_progress", "block_task")


class RawModelServer(LoopbackServer):
    """Answers every POST with the next raw reply of its script (then `fallback`)."""

    name = "raw-model-server"

    def __init__(self) -> None:
        self.script: list[Raw] = []
        self.fallback: Raw = _raw(message([tool_use("complete_task", {"summary": "done"}, "toolu_end")]))
        self._lock = threading.Lock()
        super().__init__()

    def next_reply(self) -> Raw:
        with self._lock:
            return self.script.pop(0) if self.script else self.fallback

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                status, headers, body = server.next_reply()
                self.send_response(status)
                for key, value in {**JSON, **headers}.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def _raw(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Raw:
    return status, dict(headers or {}), json.dumps(body).encode()


# --- replies ----------------------------------------------------------------------------------
IDS = st.one_of(
    st.sampled_from(["toolu_a", "toolu_b", "toolu_a", ""]), st.none(), st.integers(), st.text(max_size=8)
)
TOOL_INPUTS = st.one_of(
    st.fixed_dictionaries({"summary": hostile_text()}),
    st.fixed_dictionaries({"title": hostile_text(huge=False), "prompt": hostile_text()}),
    st.fixed_dictionaries({"note": st.one_of(hostile_text(), huge_text(300_000, 600_000))}),
    st.fixed_dictionaries({"reason": hostile_text()}),
    json_values(max_leaves=6),
)
BLOCKS = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, st.one_of(hostile_text(), json_values(max_leaves=2))),
    st.fixed_dictionaries(
        {"type": st.just("tool_use")},
        optional={
            "id": IDS,
            "name": st.one_of(st.sampled_from(TOOLS), hostile_text(huge=False)),
            "input": TOOL_INPUTS,
        },
    ),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                [
                    "thinking",
                    "redacted_thinking",
                    "server_tool_use",
                    "web_search_tool_result",
                    "mcp_tool_use",
                    "image",
                    "weird_new_block",
                    "",
                    "TEXT",
                ]
            )
        },
        optional={
            "id": IDS,
            "thinking": hostile_text(huge=False),
            "signature": st.text(max_size=10),
            "data": json_values(huge=False, max_leaves=3),
            "input": json_values(huge=False, max_leaves=3),
        },
    ),
    json_values(huge=False, max_leaves=3),  # not a block at all
)
STOPS = st.one_of(
    st.sampled_from(
        [
            "tool_use",
            "end_turn",
            "max_tokens",
            "stop_sequence",
            "refusal",
            "pause_turn",
            "model_context_window_exceeded",
            None,
        ]
    ),
    hostile_text(huge=False),
    st.integers(),
    st.lists(st.none(), max_size=1),
)
TOKENS = st.one_of(
    st.integers(0, 10_000),
    st.just(0),
    st.none(),
    st.integers(-5, -1),
    st.integers(10**9, 10**40),
    st.floats(allow_nan=False),
    st.text(max_size=4),
    st.booleans(),
)
USAGE = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            k: TOKENS
            for k in (
                "input_tokens",
                "output_tokens",
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
            )
        },
    ),
    json_values(huge=False, max_leaves=3),
)


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    """A message body: mostly well formed, each field possibly wrong, missing or extra."""
    body = message(draw(st.lists(BLOCKS, max_size=4)), "end_turn")
    body["stop_reason"] = draw(STOPS)
    body["usage"] = draw(USAGE)
    for key in draw(
        st.lists(st.sampled_from(["content", "usage", "stop_reason", "id", "type", "role"]), max_size=2)
    ):
        if draw(st.booleans()):
            body.pop(key, None)
        else:
            body[key] = draw(json_values(huge=False, max_leaves=3))
    return body


RAW_REPLIES = st.one_of(
    messages().map(_raw),
    messages().map(_raw),
    messages().map(_raw),
    json_values(max_leaves=5).map(_raw),  # any JSON: a list, a string, null, an object of anything
    st.builds(lambda b: (200, {}, b), st.binary(max_size=300)),  # not JSON at all
    st.builds(lambda s: (200, {"content-type": "text/html"}, s.encode()), hostile_text(huge=False)),
    st.builds(
        lambda status, body, headers: (status, headers, json.dumps(body).encode()),
        st.one_of(
            st.sampled_from([400, 401, 403, 404, 408, 409, 413, 429, 500, 502, 503, 529]),
            st.integers(400, 599),
        ),
        st.one_of(
            st.builds(
                lambda t, m: {"type": "error", "error": {"type": t, "message": m}},
                st.sampled_from(
                    [
                        "invalid_request_error",
                        "rate_limit_error",
                        "overloaded_error",
                        "api_error",
                        "authentication_error",
                        "weird",
                    ]
                ),
                hostile_text(huge=False),
            ),
            json_values(huge=False, max_leaves=3),
        ),
        st.one_of(
            st.just({}),
            st.fixed_dictionaries({"retry-after": st.sampled_from(["1", "0", "-3", "abc", "99999", "1e9"])}),
        ),
    ),
)


# --- the harness ------------------------------------------------------------------------------
@pytest.fixture
def server() -> Iterator[RawModelServer]:
    with RawModelServer() as raw:
        yield raw
    agent_client.reset()


@pytest.fixture
def batch(cloud: Cloud, server: RawModelServer) -> Callable[[str], BatchResult]:
    """run(task_id): one turn batch of session 1 with the production client against the raw server."""
    client = agent_client.build_client(
        Resources(), {"ANTHROPIC_API_KEY": "sk-fuzz-not-a-key", "ANTHROPIC_BASE_URL": server.base_url}
    )
    agent = Agent(
        tasks=cloud.tasks(),
        checkpoints=cloud.checkpoints(),
        client=client,
        settings=Settings(turns_per_session=4, turns_per_batch=3, handoff_margin=1),
        remaining_s=lambda: 600.0,
        clock=lambda: NOW,
        sleep=lambda _seconds: None,
        registry=Registry(),
    )

    def run(task_id: str) -> BatchResult:
        return run_batch(BatchState(task_id=task_id, session=1, execution=f"{task_id}-s1"), agent)

    return run


def new_task(cloud: Cloud) -> str:
    tasks = cloud.tasks()
    task = tasks.create(prompt="Build the crew page.", title="crew page", now=NOW)
    record = SessionRecord(number=1, execution=task.execution_name(1), started_at=iso(NOW))
    return tasks.claim(task, session=record, now=NOW).task_id


def status_or_named_error(run: Callable[[str], BatchResult], task_id: str) -> str | None:
    """The batch's status, or None when it raised one of the named model errors."""
    try:
        result = run(task_id)
    except CheckpointError:
        raise
    except JadaError as exc:
        if type(exc).__name__ not in MODEL_ERRORS:
            raise AssertionError(f"not a model error: {type(exc).__name__}: {exc}") from exc
        event(f"raised {type(exc).__name__}")
        return None
    assert result.status in STATUSES, result.status
    event(f"status {result.status}")
    return result.status


@fuzz(30)
@given(st.lists(RAW_REPLIES, min_size=1, max_size=4))
@example([_raw(message([tool_use("complete_task", {"summary": "x"}, "toolu_a")] * 2))])  # one id twice
@example([_raw(message([{"type": "tool_use", "name": "save_progress", "input": {"note": "n"}}], "tool_use"))])
@example([_raw({**message([text("hi")]), "usage": None})])
@example([_raw(message([{"type": "text", "text": 7}]))])
@example([(200, {}, b"[1, 2]"), (200, {}, b"not json")])
@example([_raw({**message([text("hi")]), "usage": {"input_tokens": 10**30, "output_tokens": -1}})])
def test_any_reply_gives_a_status_or_a_named_error_and_keeps_the_checkpoint(
    cloud: Cloud, server: RawModelServer, batch: Callable[[str], BatchResult], replies: list[Raw]
) -> None:
    task_id = new_task(cloud)
    server.script = list(replies)
    for _ in range(3):  # the batch, then what the state machine runs next (its retry or the next batch)
        status = status_or_named_error(batch, task_id)
        records = cloud.checkpoints().load_session(task_id, 1)  # raises CheckpointMissing/Corrupt
        assert len(records) <= 4
        if status not in {None, CONTINUE}:
            break
    usage = cloud.tasks().get(task_id).usage
    assert (
        min(usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens) >= 0
    )
    assert usage.cost_usd >= 0
