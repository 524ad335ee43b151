"""Helpers for the store tests: record which DynamoDB operations a store calls."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest


class OperationLog:
    """Every DynamoDB API operation a client makes, in order (via a botocore event hook)."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def __call__(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)

    def clear(self) -> None:
        self.operations.clear()


@pytest.fixture
def dynamo_ops() -> Iterator[Any]:
    """`dynamo_ops(table)` starts recording the operations made through that table's client."""
    hooks: list[tuple[Any, OperationLog]] = []

    def attach(table: Any) -> OperationLog:
        log = OperationLog()
        events = table.meta.client.meta.events
        events.register("before-call.dynamodb", log)
        hooks.append((events, log))
        return log

    yield attach
    for events, log in hooks:
        events.unregister("before-call.dynamodb", log)


@pytest.fixture
def serial_dynamo() -> Iterator[Any]:
    """DynamoDB from moto behind a single-threaded HTTP server: `serial_dynamo(spec, name)` makes a
    table and returns a new boto3 Table per call (one per racing thread).

    Why: moto's in-memory DynamoDB evaluates a condition and applies the write in separate Python
    steps, so two threads calling it in-process can both pass one condition (measured: 2 of 10 claims
    won). Real DynamoDB serializes writes to an item. A one-request-at-a-time server gives the same
    guarantee without any lock in our code or in the test: the threads still race for real, with
    stale reads and simultaneous conditional writes, and only the server's ordering is serial.
    """
    import boto3
    import requests
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    server = make_server(
        "127.0.0.1",
        0,
        DomainDispatcherApplication(create_backend_app),
        threaded=False,
        request_handler=MotoRequestHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"

    def make(spec: Any, name: str) -> Any:
        client = boto3.client("dynamodb", endpoint_url=endpoint)
        if name not in client.list_tables()["TableNames"]:
            client.create_table(**spec.create_kwargs(name))
        return boto3.resource("dynamodb", endpoint_url=endpoint).Table(name)

    try:
        yield make
    finally:
        requests.post(f"{endpoint}/moto-api/reset", timeout=10)
        server.shutdown()
        thread.join()
