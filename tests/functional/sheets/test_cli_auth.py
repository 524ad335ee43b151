"""`jada auth google`: the real installed-app flow against the Google fake, with a scripted browser
standing in for the person who consents (it follows the redirect back to the local server)."""

from __future__ import annotations

import json
import sys
import webbrowser
from pathlib import Path

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


@pytest.fixture
def client_secrets(world: SheetWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "client_secret.json"
    path.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": "client-123.apps.googleusercontent.com",
                    "client_secret": CLIENT_SECRET,
                    "auth_uri": world.google.base_url + "/auth",
                    "token_uri": world.google.token_uri,
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )
    arn = boto3.client("secretsmanager").describe_secret(SecretId=SECRET)["ARN"]
    monkeypatch.setenv("JADA_OUTPUTS_JSON", json.dumps({"GoogleTokenSecretArn": arn}))
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


def test_auth_google_production_app(world: SheetWorld, client_secrets: Path) -> None:
    result = runner.invoke(app, ["auth", "google", "--client-secrets", str(client_secrets)])
    assert result.exit_code == 0, result.output
    assert "dies by" not in result.output
    stored = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"])
    assert stored["app_status"] == "production"
