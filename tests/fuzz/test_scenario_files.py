"""Scenario files: any JSON, mutated valid scenarios and arbitrary bytes give a Scenario or a
ScenarioError naming a field, never another exception; `jada local run` on a bad file prints one
`error:` line and exits 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from jada_tools.local.scenario import Scenario, ScenarioError, load_scenario, parse_scenario

from tests.fuzz.profiles import fuzz
from tests.fuzz.strategies import hostile_text, json_values, mutated

VALID: dict[str, Any] = {
    "start": "2026-05-12T21:00:00Z",
    "end": "2026-05-13T02:15:00Z",
    "settings": {"sessions_per_day": 5, "turns_per_session": 12, "max_concurrent_sessions": 2},
    "alert_email": "ops@example.com",
    "sheet_sync": {
        "spreadsheet_id": "demo-port-sheet",
        "range": "Ports!A1:F",
        "token": {"client_id": "demo.apps", "client_secret": "demo-secret", "refresh_token": "1//demo"},
        "revoke_at": "2026-05-13T01:10:00Z",
    },
    "tasks": [
        {"at": "2026-05-12T21:20:00Z", "title": "crew contracts", "prompt": "Needs the operator's approval."},
        {"at": "2026-05-12T21:30:00Z", "title": "crew page", "prompt": "Update it.", "priority": 3},
    ],
    "answers": [{"at": "2026-05-12T23:40:00Z", "title": "crew contracts", "answer": "Option B."}],
}
#: `invalid scenario: <where>: <problem>[; <where>: <problem>...]`, where is a field path or `scenario`
#: `field: why`, or a whole-scenario check that names its keys (`tasks.0.at must lie between ...`)
FIELD = re.compile(r"(scenario|[A-Za-z_]+(\.[^:; ]+)?)(: | )")


def assert_names_a_field(error: ScenarioError) -> None:
    message = str(error)
    assert message.startswith("invalid scenario: "), message
    body = message.removeprefix("invalid scenario: ")
    assert FIELD.match(body), message
    first = body.split(" ", 1)[0].split(".", 1)[0].rstrip(":")
    assert first == "scenario" or first in Scenario.model_fields, message


def parse_or_error(data: Any) -> Scenario | None:
    try:
        scenario = parse_scenario(data)
    except ScenarioError as exc:
        assert_names_a_field(exc)
        event("refused")
        return None
    event("accepted")
    assert scenario.end > scenario.start
    return scenario


def test_the_valid_scenario_is_valid() -> None:
    assert _parses(VALID)


@fuzz(100)
@given(json_values())
@example(None)
@example([])
@example({"start": None, "end": None})
@example({"start": "2026-05-12T21:00:00Z", "end": "2026-05-12T21:00:00Z"})
def test_any_json_is_a_scenario_or_a_scenario_error(data: Any) -> None:
    parse_or_error(data)


@fuzz(150)
@given(mutated(VALID, huge=True))
@example({**VALID, "tasks": [{**VALID["tasks"][0], "at": "2020-01-01T00:00:00Z"}]})
@example({**VALID, "answers": [{**VALID["answers"][0], "title": "nobody"}]})
@example({**VALID, "settings": {"turns_per_session": "many"}})
@example({**VALID, "settings": {"handoff_margin": 10**30}})
@example({**VALID, "start": "2026-13-45T99:00:00Z"})
@example({**VALID, "start": "9999-12-31T23:59:59Z", "end": "9999-12-31T23:59:59+00:00"})
def test_a_mutated_scenario_is_a_scenario_or_an_error_naming_the_field(data: Any) -> None:
    parse_or_error(data)


def _file_bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=200),
        json_values(huge=False).map(lambda v: json.dumps(v).encode()),
        mutated(VALID).map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8")),
        st.builds(lambda t: b"\xef\xbb\xbf" + json.dumps(t).encode(), mutated(VALID)),  # a BOM
        st.integers(1_000, 200_000).map(lambda n: b"[" * n),  # deeper than any parser recurses
        st.integers(900, 5_000).map(lambda n: b"[" * n + b"]" * n),  # valid JSON, too deep for json.loads
        st.integers(900, 5_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
        hostile_text(huge=False).map(lambda t: t.encode("utf-8")),
    )


@fuzz(60)
@given(_file_bodies())
@example(b"")
@example(b"\xff\xfe{}")
@example(b"[" * 100_000)
def test_any_file_is_a_scenario_or_a_scenario_error(
    tmp_path_factory: pytest.TempPathFactory, body: bytes
) -> None:
    path = tmp_path_factory.mktemp("scenario") / "scenario.json"
    path.write_bytes(body)
    try:
        load_scenario(path)
    except ScenarioError as exc:
        message = str(exc)
        assert message, "an empty error message"
        if message.startswith("invalid scenario: "):
            assert_names_a_field(exc)
        else:
            assert message.startswith(("not valid JSON", "cannot read the scenario file")), message


# --- the CLI on a handful of bad files, as a user runs it ---------------------------------------
JADA = str(Path(sys.executable).with_name("jada"))


@fuzz(4)
@given(
    st.one_of(
        mutated(VALID).filter(lambda v: not _parses(v)).map(lambda v: json.dumps(v).encode()),
        st.just(b"[" * 50_000),
        st.just(b"\xff\xfe not utf-8"),
    )
)
@example(json.dumps({**VALID, "tasks": [{"at": "[/]", "title": "[bold]x[/]", "prompt": "p"}]}).encode())
def test_local_run_on_a_bad_file_prints_one_error_line_and_exits_2(
    tmp_path_factory: pytest.TempPathFactory, body: bytes
) -> None:
    path = tmp_path_factory.mktemp("cli") / "bad.json"
    path.write_bytes(body)
    done = subprocess.run(
        [JADA, "local", "run", str(path), "--report", str(path.with_suffix(".report.json"))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines, done.stdout
    assert lines[0].startswith("error: "), done.stderr
    assert not path.with_suffix(".report.json").exists()


def _parses(data: Any) -> bool:
    try:
        parse_scenario(data)
    except ScenarioError:
        return False
    return True
