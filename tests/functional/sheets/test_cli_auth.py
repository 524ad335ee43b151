"""`jada auth google`: the real installed-app flow against the Google fake, with a scripted browser
standing in for the person who consents (it follows the redirect back to the local server); the app
status it records or leaves to the deployment; its errors for a bad client file."""

from __future__ import annotations

import io
import json
import sys
import webbrowser
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from jada_tools.cli import stack as cli_stack
from jada_tools.cli.main import app
from typer.testing import CliRunner

from tests.functional.sheets.conftest import CLIENT_SECRET, NOW, SECRET, SheetWorld

# The "browser": takes the consent URL, sends Google's redirect (code + state) back to the CLI.
CONSENTING_BROWSER = """
import sys, urllib.parse, urllib.request
query = urllib.parse.parse_qs(urllib.parse.urlsplit(sys.argv[1]).query)
assert query["prompt"] == ["consent"], query
back = {"state": query["state"][0], "code": "fake-auth-code", "scope": query["scope"][0]}
urllib.request.urlopen(query["redirect_uri"][0] + "?" + urllib.parse.urlencode(back), timeout=10).read()
"""
runner = CliRunner()
SYNC_FUNCTION = "jada-sheet-sync"
CLIENT = {
    "client_id": "client-123.apps.googleusercontent.com",
    "client_secret": CLIENT_SECRET,
    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": "https://oauth2.googleapis.com/token",
    "redirect_uris": ["http://localhost"],
}


def deploy_sync_function(app_testing: str) -> None:
    """The deployed sync function as far as `auth google` reads it: its GOOGLE_APP_TESTING variable."""
    role = boto3.client("iam").create_role(
        RoleName="sync-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    boto3.client("lambda").create_function(
        FunctionName=SYNC_FUNCTION,
        Runtime="python3.13",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": {"GOOGLE_APP_TESTING": app_testing}},
    )


def stored_token() -> dict[str, Any]:
    return json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"])


@pytest.fixture
def client_secrets(world: SheetWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "client_secret.json"
    client = {**CLIENT, "auth_uri": world.google.base_url + "/auth", "token_uri": world.google.token_uri}
    path.write_text(json.dumps({"installed": client}))
    arn = boto3.client("secretsmanager").describe_secret(SecretId=SECRET)["ARN"]
    found = {"GoogleTokenSecretArn": arn, "SyncFunctionName": SYNC_FUNCTION}
    monkeypatch.setenv("JADA_OUTPUTS_JSON", json.dumps(found))
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake token endpoint is plain http
    cli_stack.outputs.cache_clear()
    browser = webbrowser.BackgroundBrowser([sys.executable, "-c", CONSENTING_BROWSER, "%s"])
    webbrowser.register("jada-test-consent", None, browser, preferred=True)
    return path


def test_auth_google_stores_a_new_token_and_the_sync_recovers(
    world: SheetWorld, client_secrets: Path
) -> None:
    world.google.revoke("1//refresh-SECRET-4f9a2c")
    assert world.sync().outcome == "token_error"

    result = runner.invoke(app, ["auth", "google", "--client-secrets", str(client_secrets), "--testing-app"])

    assert result.exit_code == 0, result.output
    assert "scopes:   https://www.googleapis.com/auth/spreadsheets.readonly" in result.output
    assert "obtained: " in result.output
    assert "dies by" in result.output
    stored = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"])
    assert stored["refresh_token"].startswith("1//fake-refresh-")
    assert stored["app_status"] == "testing"
    assert stored["obtained_at"]
    assert "token" not in stored  # no short-lived access token kept
    for secret in (stored["refresh_token"], CLIENT_SECRET, "ya29."):
        assert secret not in result.output
    assert world.sync(NOW).outcome == "ok"


def test_without_a_status_flag_none_is_recorded_and_the_deployed_testing_setting_applies(
    world: SheetWorld, client_secrets: Path
) -> None:
    # Given a deployment with googleAppTesting true (the default)
    deploy_sync_function("true")
    # When the operator re-authenticates without --testing-app / --production-app
    result = runner.invoke(app, ["auth", "google", "--client-secrets", str(client_secrets)])
    # Then no status is stored with the token, and the output says the deployment's setting applies
    assert result.exit_code == 0, result.output
    assert "app_status" not in stored_token()
    assert "app status: testing (not recorded with the token: the deployment's googleAppTesting=true" in (
        result.output
    )
    assert "dies by" in result.output
    # and the sync treats the token as a Testing app's: its age is reported for the TokenExpiring alarm
    synced = world.sync(NOW)
    assert (synced.outcome, synced.app_testing) == ("ok", True)


def test_without_a_status_flag_a_production_deployment_applies(
    world: SheetWorld, client_secrets: Path
) -> None:
    deploy_sync_function("false")
    result = runner.invoke(app, ["auth", "google", "--client-secrets", str(client_secrets)])
    assert result.exit_code == 0, result.output
    assert "app_status" not in stored_token()
    assert "app status: production (not recorded with the token: the deployment's googleAppTesting=false" in (
        result.output
    )
    assert "dies by" not in result.output
    assert world.sync(NOW, GOOGLE_APP_TESTING="false").app_testing is False


def test_an_unreadable_deployment_setting_is_said_and_nothing_is_recorded(
    world: SheetWorld, client_secrets: Path
) -> None:
    # Given no sync function can be found (e.g. the operator's role may not read it)
    result = runner.invoke(app, ["auth", "google", "--client-secrets", str(client_secrets)])
    assert result.exit_code == 0, result.output
    assert "app_status" not in stored_token()
    assert "the deployment's googleAppTesting setting applies (could not read it: " in result.output
    assert "Pass --testing-app or --production-app" in result.output


def test_production_app_flag_overrides_a_testing_deployment_and_says_so(
    world: SheetWorld, client_secrets: Path
) -> None:
    deploy_sync_function("true")
    result = runner.invoke(
        app, ["auth", "google", "--client-secrets", str(client_secrets), "--production-app"]
    )
    assert result.exit_code == 0, result.output
    assert stored_token()["app_status"] == "production"
    assert "app status: production (recorded with the token: --production-app)" in result.output
    assert "it overrides the deployment's googleAppTesting=true" in result.output
    assert "dies by" not in result.output
    assert world.sync(NOW).app_testing is False


def test_google_refusing_the_code_exchange_is_one_error_line(world: SheetWorld, client_secrets: Path) -> None:
    world.google.token_mode = "invalid_client"
    before = stored_token()
    result = runner.invoke(app, ["auth", "google", "--client-secrets", str(client_secrets), "--testing-app"])
    assert result.exit_code == 1
    assert result.output.startswith("error: Google refused the sign-in: invalid_client")
    assert stored_token() == before


# --- a bad client file: exit 2 before any browser opens ------------------------------------------
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the OAuth client file"),
        ("{not json", "is not valid JSON (line 1"),
        ("[1, 2]", "is not an OAuth client's JSON"),
        (json.dumps({"web": CLIENT}), "is a Web application client"),
        (json.dumps({"installed": "x"}), 'it needs an "installed" (Desktop app) client'),
        (json.dumps({"installed": {**CLIENT, "client_secret": ""}}), "lacks client_secret"),
        (json.dumps({"installed": {"client_id": "x"}}), "lacks client_secret, auth_uri, token_uri"),
    ],
)
def test_a_bad_client_secrets_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None, message: str
) -> None:
    path = tmp_path / "client_secret.json"
    if content is not None:
        path.write_text(content)
    monkeypatch.setattr(webbrowser, "open", lambda *_a, **_k: pytest.fail("no browser for a bad file"))
    result = runner.invoke(app, ["auth", "google", "--client-secrets", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: the OAuth client file {path}") or result.output.startswith(
        f"error: cannot read the OAuth client file {path}"
    )
    assert message in result.output
    assert "Desktop app" in result.output  # where to get a good one
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_client_secrets_directory_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["auth", "google", "--client-secrets", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: cannot read the OAuth client file {tmp_path}")


def test_testing_and_production_are_one_choice() -> None:
    result = runner.invoke(app, ["auth", "google", "--help"])
    assert "--testing-app" in result.output
    assert "--production-app" in result.output


def test_auth_google_production_app(world: SheetWorld, client_secrets: Path) -> None:
    result = runner.invoke(
        app, ["auth", "google", "--client-secrets", str(client_secrets), "--production-app"]
    )
    assert result.exit_code == 0, result.output
    assert "dies by" not in result.output
    assert stored_token()["app_status"] == "production"
