"""Run Lambda functions created in moto in-process: the real handler code, no Docker.

moto's `LambdaSimpleBackend` (config `{"lambda": {"use_docker": False}}`) never runs code. While an
`InProcessLambda` is active, invoking a function (boto3 `lambda.invoke`, or a Step Functions Task)
imports its handler file and calls it with the function's environment variables from moto, a
Lambda-like context, and stdout captured (EMF metric lines) for an optional sink. An exception
comes back as Lambda reports it: `{"errorType", "errorMessage"}` with `x-amz-function-error: Unhandled`.
What the handler writes to stdout (print, EMF, loggers created while it runs) is its invocation's
`stdout`, as in the function's CloudWatch Logs.

Which file runs: a registered path for the function name, else the function's own code zip from
moto (extracted once per code digest), using its `Handler` setting (`module.function`).

    with InProcessLambda(sink=lambda fn, text: ...) as runtime:
        runtime.register("poll-fn", "functions/poll/handler.py")
        boto3.client("lambda").invoke(FunctionName="poll-fn", Payload=b"{}")

Environment variables are process-wide, so invocations run one at a time (a re-entrant lock) and
the environment is restored afterwards. Each runtime imports handler files afresh (a cold start
per deployment) and keeps them for later invocations (warm).
This patches a moto internal: moto is pinned (5.2.5).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import itertools
import json
import os
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from jada_tools.local.intrinsics import ACCOUNT

if TYPE_CHECKING:
    from jada_tools.local.provision import Deployment

#: (function name, captured stdout) -> None
Sink = Callable[[str, str], None]

_LOCK = threading.RLock()


@dataclass
class LambdaContext:
    """The fields of Lambda's context object that handlers and Powertools use."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    deadline: float
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    @classmethod
    def create(
        cls, function_name: str, *, timeout_s: float = 3, memory_mb: int = 128, arn: str | None = None
    ) -> LambdaContext:
        """A fresh context for one invocation: `timeout_s` from now, a new request id."""
        return cls(
            function_name=function_name,
            memory_limit_in_mb=memory_mb,
            invoked_function_arn=arn or f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{function_name}",
            aws_request_id=str(uuid.uuid4()),
            deadline=time.monotonic() + timeout_s,
            log_group_name=f"/aws/lambda/{function_name}",
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    """What one invocation did (kept on `InProcessLambda.invocations`)."""

    function_name: str
    event: Any
    result: Any = None
    error: dict[str, str] | None = None
    stdout: str = ""
    #: wall-clock seconds the handler ran (in-process, against moto)
    duration_s: float = 0.0


_SERIAL = itertools.count(1)


def _load_module(path: Path, prefix: str) -> ModuleType:
    """Import a handler file under a name unique to its path and runtime (never `handler`)."""
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    name = f"{prefix}_{path.parent.name}_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load a handler from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


class _HandlerStdout(io.TextIOBase):
    """sys.stdout while handler code runs. A logger created then keeps a reference to it (Powertools
    binds the stream it was created with), so its lines still reach the invocation running at the
    time, or the process's stdout between invocations, never a buffer closed since."""

    def __init__(self) -> None:
        self._target: io.StringIO | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self._target is not None:
            return self._target.write(text)
        current = sys.stdout if sys.stdout is not self else sys.__stdout__
        return current.write(text) if current is not None else len(text)

    @contextlib.contextmanager
    def capture(self, buffer: io.StringIO) -> Iterator[None]:
        saved = self._target
        self._target = buffer
        try:
            with contextlib.redirect_stdout(self):
                yield
        finally:
            self._target = saved


_STDOUT = _HandlerStdout()


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """`values` set for one invocation, then what was there put back key by key: the environment is
    never empty meanwhile, as other threads (the simulator, an endpoint's requests) read it."""
    saved = dict(os.environ)
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for key in set(os.environ) - set(saved):
            os.environ.pop(key, None)
        for key, value in saved.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


class InProcessLambda:
    """Patch moto's simple Lambda backend so invocations run the real handlers in this process."""

    def __init__(
        self,
        handlers: Mapping[str, str | Path] | None = None,
        *,
        sink: Sink | None = None,
        extra_env: Mapping[str, str] | None = None,
        keep_invocations: bool = True,
    ) -> None:
        self.handlers: dict[str, Path] = {k: Path(v) for k, v in (handlers or {}).items()}
        self.sink = sink
        #: set on every invocation after the function's own variables (e.g. ANTHROPIC_BASE_URL)
        self.extra_env: dict[str, str] = dict(extra_env or {})
        self.keep_invocations = keep_invocations
        self.invocations: list[Invocation] = []
        self._saved: Any = None
        self._code_dir: tempfile.TemporaryDirectory[str] | None = None
        #: handler modules imported by this runtime: each runtime is a fresh deployment (cold starts)
        self._modules: dict[Path, ModuleType] = {}
        self._prefix = f"_jada_lambda{next(_SERIAL)}"

    # --- set-up ---------------------------------------------------------------------------------
    def register(self, function_name: str, handler_file: str | Path) -> None:
        """Run `handler_file`'s `handler` for the function of that name (or ARN)."""
        name = function_name.rsplit(":function:", 1)[-1].split(":", maxsplit=1)[0]
        self.handlers[name] = Path(handler_file)

    def register_deployment(self, deployment: Deployment) -> InProcessLambda:
        """Run each provisioned function's handler file from its source folder (not a zip copy)."""
        for fn in deployment.functions.values():
            if fn.handler_file is not None:
                self.register(fn.name, fn.handler_file)
        return self

    def install(self) -> InProcessLambda:
        from moto.awslambda_simple.models import LambdaSimpleBackend

        if self._saved is not None:
            return self
        runtime = self

        def invoke(backend: Any, function_name: str, qualifier: str | None, body: Any, *_: Any) -> bytes:
            # moto's signature: (self, function_name, qualifier, body, headers, response_headers)
            return runtime._invoke(backend, function_name, qualifier, body, _[-1])

        self._saved = LambdaSimpleBackend.__dict__["invoke"]
        LambdaSimpleBackend.invoke = invoke  # type: ignore[assignment,method-assign]
        return self

    def uninstall(self) -> None:
        from moto.awslambda_simple.models import LambdaSimpleBackend

        if self._saved is not None:
            LambdaSimpleBackend.invoke = self._saved  # type: ignore[method-assign]
            self._saved = None
        if self._code_dir is not None:
            self._code_dir.cleanup()
            self._code_dir = None
        for module in self._modules.values():
            sys.modules.pop(module.__name__, None)
        self._modules.clear()

    def __enter__(self) -> InProcessLambda:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    # --- one invocation -------------------------------------------------------------------------
    def _invoke(
        self, backend: Any, function_name: str, qualifier: str | None, body: Any, response_headers: Any
    ) -> bytes:
        fn = backend.get_function(function_name, qualifier)
        raw = body.decode() if isinstance(body, bytes) else (body or "")
        event = json.loads(raw) if raw.strip() else {}
        record = Invocation(fn.function_name, event)
        with _LOCK:
            out = io.StringIO()
            with _STDOUT.capture(out):  # what the module prints on import belongs to this call
                handler = self._handler_for(fn)
            context = LambdaContext.create(
                fn.function_name,
                timeout_s=float(getattr(fn, "timeout", 3) or 3),
                memory_mb=int(getattr(fn, "memory_size", 128) or 128),
                arn=fn.function_arn,
            )
            env = {
                "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(context.memory_limit_in_mb),
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(getattr(fn, "timeout", 3)),
                **(fn.environment_vars or {}),
                **self.extra_env,
            }
            with _environment(env), _STDOUT.capture(out):
                started = time.perf_counter()
                try:
                    record.result = handler(event, context)
                except Exception as exc:
                    record.error = {
                        "errorType": type(exc).__name__,
                        "errorMessage": str(exc),
                        "stackTrace": traceback.format_exception(exc)[-3:],  # type: ignore[dict-item]
                    }
                record.duration_s = time.perf_counter() - started
            record.stdout = out.getvalue()
            if self.sink is not None and record.stdout:
                self.sink(fn.function_name, record.stdout)
            if self.keep_invocations:
                self.invocations.append(record)
        if record.error is not None:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(record.error).encode()
        return json.dumps(record.result).encode()

    def _handler_for(self, fn: Any) -> Callable[[Any, Any], Any]:
        module_name, _, attribute = (fn.handler or "handler.handler").rpartition(".")
        path = self.handlers.get(fn.function_name) or self._extract_code(fn, module_name or "handler")
        if path not in self._modules:  # warm after the first invocation, like a Lambda container
            self._modules[path] = _load_module(path, self._prefix)
        return getattr(self._modules[path], attribute)  # type: ignore[no-any-return]

    def _extract_code(self, fn: Any, module_name: str) -> Path:
        """The function's own deployment package, unpacked once per code digest."""
        code: bytes | None = getattr(fn, "code_bytes", None)
        if not code:
            raise LookupError(f"function {fn.function_name} has no code and no registered handler")
        if self._code_dir is None:
            self._code_dir = tempfile.TemporaryDirectory(prefix="jada-lambda-")
        target = Path(self._code_dir.name) / hashlib.sha256(code).hexdigest()[:16]
        if not target.is_dir():
            with zipfile.ZipFile(io.BytesIO(code)) as archive:
                archive.extractall(target)  # our own packages, written by provisioning
        path = target / (module_name.replace(".", "/") + ".py")
        if not path.is_file():
            raise LookupError(f"function {fn.function_name}: its package has no {path.name}")
        return path
