"""The CLI's error conventions, through its real entry point (`jada_tools.cli.main.main`): every
command has help; every error is one `error:` line on stderr; bad input and missing configuration
exit 2 with the fix, unexpected failures exit 1; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from jada_tools.cli import stack as cli_stack
from jada_tools.cli.main import app, main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    cli_stack.outputs.cache_clear()
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    cli_stack.outputs.cache_clear()
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


def command_paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += command_paths(sub, (*path, name))
    return found


COMMANDS = command_paths(typer.main.get_command(app))


def test_the_command_tree_is_what_the_docs_name() -> None:
    names = {" ".join(p) for p in COMMANDS}
    for expected in ("tasks add", "tasks list", "tasks show", "tasks transcript", "tasks edit", "tasks stop",
                     "tasks retry", "tasks cancel", "tasks unblock", "quota", "status", "sync now",
                     "sync status", "auth google", "local run", "demo"):  # fmt: skip
        assert expected in names


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "jada")
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], path: tuple[str, ...]) -> None:
    code, out, err = run(capsys, *path, "--help")
    assert code == 0, err
    assert "Usage: jada" in out
    assert "Traceback" not in out + err


@pytest.fixture
def no_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No region or profile from anywhere (the machine's own ~/.aws included)."""
    for key in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE", "JADA_OUTPUTS_JSON"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


def files(tmp_path: Path) -> dict[str, Path]:
    malformed = tmp_path / "client_secret.json"
    malformed.write_text('{"installed": {"client_id": "x",')
    wrong = tmp_path / "other.json"
    wrong.write_text(json.dumps({"type": "service_account", "project_id": "p"}))
    lacking = tmp_path / "lacking.json"
    lacking.write_text(json.dumps({"installed": {"client_id": "x", "auth_uri": "https://a"}}))
    return {"malformed": malformed, "wrong": wrong, "lacking": lacking}


BAD_INPUT = [
    (("tasks", "lst"), "No such command 'lst'"),
    (("tasks", "list", "--limit", "0"), "Invalid value for '--limit'"),
    (("tasks", "list", "--status", "sleeping"), "unknown status 'sleeping'; use one of: pending, running"),
    (("tasks", "show"), "Missing argument 'task_id'"),
    (("tasks", "add"), "give the prompt with exactly one of PROMPT or --prompt-file FILE"),
    (
        ("tasks", "add", "--prompt-file", "/nonexistent/prompt.md"),
        "cannot read the prompt /nonexistent/prompt.md",
    ),
    (("tasks", "unblock", "abc"), "exactly one of --answer TEXT or --answer-file FILE"),
    (("tasks", "transcript", "abc", "--session", "0"), "Invalid value for '--session'"),
    (("--region",), "Option '--region' requires an argument"),
    (
        ("auth", "google", "--client-secrets", "{malformed}"),
        "client_secret.json is not valid JSON (line 1:",
    ),
    (
        ("auth", "google", "--client-secrets", "{wrong}"),
        'is not an OAuth client\'s JSON: it needs an "installed" (Desktop app) client',
    ),
    (("auth", "google", "--client-secrets", "{lacking}"), "lacking.json lacks client_secret, token_uri"),
    (("auth", "google", "--client-secrets", "/nonexistent.json"), "cannot read the OAuth client file"),
    (("local", "run", "/nonexistent/scenario.json"), "cannot read the scenario file"),
]


@pytest.mark.parametrize(
    ("args", "message"), BAD_INPUT, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_bad_input_exits_2_with_one_error_line(
    capsys: pytest.CaptureFixture[str],
    no_aws_config: None,
    tmp_path: Path,
    args: tuple[str, ...],
    message: str,
) -> None:
    paths = files(tmp_path)
    code, out, err = run(capsys, *(a.format(**paths) for a in args))
    assert code == 2, out + err
    assert err.startswith("error: "), err
    assert message in err
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    "args",
    [
        ("tasks", "list"),
        ("tasks", "show", "abc"),
        ("quota",),
        ("status",),
        ("sync", "status"),
        ("tasks", "stop", "abc"),
    ],
)
def test_without_a_region_every_aws_command_says_how_to_set_one(
    capsys: pytest.CaptureFixture[str], no_aws_config: None, args: tuple[str, ...]
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2, out + err
    assert err.startswith("error: no AWS region is set: pass --region REGION")
    assert "export AWS_REGION=REGION" in err
    assert "Traceback" not in out + err


def test_the_region_option_and_aws_region_reach_every_client(
    capsys: pytest.CaptureFixture[str], moto_aws: None, no_aws_config: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # with --region the stack look-up reaches (moto's) CloudFormation: a missing stack, exit 2
    code, _, err = run(capsys, "--region", "eu-west-1", "tasks", "list", "--stack", "Nope")
    assert code == 2
    assert err.startswith("error: cannot read stack Nope")
    assert "deploy the stack, or pass --stack NAME and --region REGION" in err
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    code, _, err = run(capsys, "tasks", "list", "--stack", "Nope")
    assert code == 2
    assert "cannot read stack Nope" in err


def test_missing_configuration_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JADA_OUTPUTS_JSON", "{}")
    code, _, err = run(capsys, "sync", "now")
    assert code == 2
    assert err.startswith("error: stack Jada has no output SyncFunctionName")


def test_an_unexpected_failure_exits_1_without_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JADA_OUTPUTS_JSON", "{not json")
    code, out, err = run(capsys, "tasks", "list")
    assert code == 1
    assert err.startswith("error: unexpected failure: JSONDecodeError")
    assert "Traceback" not in out + err
