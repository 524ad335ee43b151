"""`jada local serve` as a user runs it: the command in a subprocess on a free port at a high speed,
real `jada` commands in other processes pointed at it by JADA_ENDPOINT alone, then Ctrl-C (SIGINT).
Every wait is bounded."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

JADA = str(Path(sys.executable).with_name("jada"))
#: far from 00:00 UTC: "today" stays the same however slow this machine is
START = "2026-05-12T08:00:00Z"
SCENARIO = {
    "start": START,
    "end": "2026-05-12T09:00:00Z",
    "settings": {"sessions_per_day": 5},
    "sheet_sync": {"spreadsheet_id": "port-sheet", "range": "Ports!A1:F",
                   "token": {"client_id": "id", "client_secret": "s", "refresh_token": "1//r"}},
    "tasks": [{"at": START, "title": "crew contracts", "prompt": "They need the operator's approval first."}],
}  # fmt: skip
#: what must never reach a serve or a command of this test
OUTSIDE = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GOOGLE_OAUTH_TOKEN_URI", "SHEETS_API_ENDPOINT",
           "JADA_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_PROFILE")  # fmt: skip


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def read(self) -> None:
        """Collect the live log's lines (called on a reader thread)."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float) -> str:
        """The first line (already printed or still to come) containing `text`."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines:
                if text in line:
                    return line
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no {text!r} within {timeout} s; output so far:\n" + "\n".join(self.lines))
            if line is None:
                pytest.fail(f"serve ended before {text!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OUTSIDE}
    return {**env, **extra}


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(*args: str) -> Served:
        process = subprocess.Popen(
            [JADA, "local", "serve", "--port", "0", *args],
            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        served = Served(process, url="")
        started.append(served)
        threading.Thread(target=served.read, daemon=True).start()
        served.url = served.wait_for("export JADA_ENDPOINT=", timeout=150).split("=", 1)[1].strip()
        return served

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(timeout=30)


def jada(served: Served, *args: str, expect: int = 0) -> Any:
    env = _env(JADA_ENDPOINT=served.url)
    done = subprocess.run([JADA, *args], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == expect, f"jada {' '.join(args)}: {done.returncode} {done.stdout}{done.stderr}"
    return json.loads(done.stdout) if "--json" in args else done.stdout


def test_the_operator_workflow_against_serve_then_ctrl_c(serve: Any, tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(SCENARIO))
    # Given the local cloud serving a scenario whose task needs the operator, at 120x real time
    served = serve("--speed", "120", "--scenario", str(scenario))
    assert served.url.startswith("http://127.0.0.1:")
    port = int(served.url.rsplit(":", 1)[1])
    # Then its blocked-task email shows in the live log, with the first lines of the body
    served.wait_for("email", timeout=60)
    assert "jada: task blocked: crew contracts" in served.wait_for("jada: task blocked", timeout=5)
    served.wait_for("| The agent needs a human to continue task", timeout=5)

    # When the operator works from another terminal: sees the blocked task, queues one, answers
    (blocked,) = jada(served, "tasks", "list", "--status", "blocked", "--json")
    assert blocked["title"] == "crew contracts"
    added = jada(served, "tasks", "add", "Publish the crew page", "--title", "crew page", "--json")
    jada(served, "tasks", "unblock", blocked["id"], "--answer", "Use the 2026 pay scale.")

    # Then the simulated polls run both to the end, as the live log tells
    served.wait_for("'crew page' session 1: completed", timeout=60)
    served.wait_for("'crew contracts' session 2: completed", timeout=60)
    tasks = jada(served, "tasks", "list", "--json")
    assert sorted((t["title"], t["status"]) for t in tasks) == [
        ("crew contracts", "done"),
        ("crew page", "done"),
    ]
    shown = jada(served, "tasks", "show", added["task_id"], "--json")
    assert [s["outcome"] for s in shown["sessions"].values()] == ["completed"]
    # and the commands ran on the local cloud's clock (the scenario's evening), not the wall clock
    assert START <= shown["created_at"] < "2026-05-13"
    assert START <= shown["sessions"]["1"]["started_at"] < "2026-05-13"
    quota = jada(served, "quota", "--json")
    assert (quota["day"], quota["used"]) == ("2026-05-12", 3)  # two sessions of the blocked task, one more
    synced = jada(served, "sync", "now", "--json")
    assert (synced["outcome"], synced["rows"]) == ("ok", 12)
    served.wait_for("session started", timeout=5)

    # When Ctrl-C reaches it
    served.process.send_signal(signal.SIGINT)
    # Then it stops cleanly: exit 0, a one-line summary, no traceback, the port free again
    assert served.process.wait(timeout=30) == 0
    summary = served.wait_for("stopped at", timeout=5)
    assert "2 tasks (2 done), 3 sessions, 1 email" in summary
    assert served.process.stderr is not None
    errors = served.process.stderr.read()
    assert "Traceback" not in errors, errors
    with socket.socket() as sock:  # nothing listens: the bind works (closed connections may linger)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
    assert (tmp_path / "reports" / "serve.log").stat().st_size > 0


def test_serve_in_process_tells_sessions_and_emails_and_leaves_nothing_behind(
    app_template: dict[str, Any], tmp_path: Path
) -> None:
    import io
    import urllib.request

    from jada_tools.local.scenario import parse_scenario
    from jada_tools.local.serve import ServeOptions, Summary, serve, stop_on_signals
    from rich.console import Console

    # Given serve running on a thread of this process with the scenario's blocked task, at 600x
    out = io.StringIO()
    console, stop = Console(file=out, width=400), threading.Event()
    # app_template has no spreadsheet id: no sheet_sync
    scenario = parse_scenario({k: v for k, v in SCENARIO.items() if k != "sheet_sync"})
    options = ServeOptions(port=0, speed=600, scenario=scenario, log_path=tmp_path / "serve.log")
    before = set(threading.enumerate())
    result: dict[str, Summary] = {}

    def run() -> None:
        result["summary"] = serve(options, console=console, stop=stop, template=app_template)

    runner = threading.Thread(target=run)
    runner.start()
    try:
        deadline = time.monotonic() + 90
        while "| The agent needs a human" not in out.getvalue():
            assert runner.is_alive(), out.getvalue()
            assert time.monotonic() < deadline, out.getvalue()
            time.sleep(0.2)
        # Then the live log told the session and the email with the first lines of its body
        log = out.getvalue()
        (export,) = [line for line in log.splitlines() if line.startswith("export JADA_ENDPOINT=")]
        url = export.split("=", 1)[1]
        assert "session started" in log
        assert "'crew contracts' session 1: blocked after 1 turns, task blocked" in log
        assert "email   to ops@example.com: jada: task blocked: crew contracts" in log
        assert "| Title: crew contracts" in log
        # and the endpoint answers with the simulated time (the scenario's day, not the wall clock)
        with urllib.request.urlopen(url + "/jada-local/clock", timeout=10) as response:
            assert START <= json.loads(response.read())["now"] < "2026-05-13"
        # When SIGINT arrives (the handler sets the stop flag)
        with stop_on_signals(stop, console):
            os.kill(os.getpid(), signal.SIGINT)
            assert stop.wait(timeout=5)
    finally:
        stop.set()
        runner.join(timeout=60)
    # Then serve returned its summary, its threads are gone and the port is free
    assert not runner.is_alive()
    summary = result["summary"]
    assert (summary.tasks, summary.counts, summary.sessions) == (1, {"blocked": 1}, 1)
    assert summary.emails >= 1  # the blocked task's, and the stale-sync alarm's once 90 minutes pass
    assert summary.line().startswith("stopped at 2026-05-12T")
    lingering = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    assert lingering == []
    assert not any(t.name == "jada-endpoint" for t in threading.enumerate())
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", int(url.rsplit(":", 1)[1])))
