"""`jada auth google`: consent in a browser, store the new token in the stack's secret.

The OAuth app's publishing status decides whether the token dies after 7 days (Testing) and so
whether the token-age alarm watches it. Without `--testing-app` / `--production-app` nothing is
recorded with the token and the deployment's `googleAppTesting` setting applies.

Prints the scopes, the date and the status, never the token."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer
from botocore.exceptions import BotoCoreError, ClientError
from jada import aws
from jada.clock import iso, utcnow
from jada.errors import ConfigurationError

from jada_tools.cli.common import FAILED, STACK, fail
from jada_tools.cli.stack import outputs

app = typer.Typer(no_args_is_help=True)

#: the client file's keys the installed-app flow needs (Google's "client secrets" format)
CLIENT_KEYS = ("client_id", "client_secret", "auth_uri", "token_uri")
DOWNLOAD_HINT = (
    "download it from Google Cloud console > APIs & Services > Credentials > "
    "OAuth 2.0 Client IDs (type Desktop app) > Download JSON"
)

CLIENT_SECRETS = typer.Option(
    ...,
    "--client-secrets",
    help="The OAuth client's JSON (Google Cloud console > Credentials > Desktop app > Download JSON).",
)
NO_BROWSER = typer.Option(False, "--no-browser", help="Print the consent URL instead of opening it.")
APP_STATUS = typer.Option(
    None,
    "--testing-app/--production-app",
    help="The OAuth app's publishing status (Google Cloud console > OAuth consent screen). Testing: "
    "its tokens die after 7 days and the token-age alarm watches them. Default: the deployment's "
    "googleAppTesting setting.",
    show_default=False,
)
PORT = typer.Option(0, "--port", help="Local port for Google's redirect (0: any free port).")
CLIENT_TYPES = ("installed", "web")


def load_client_config(path: Path) -> dict[str, Any]:
    """The Desktop OAuth client's JSON; a missing, unreadable or malformed file is a `fail` (exit 2)."""
    where = f"the OAuth client file {path}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"cannot read {where}: {exc.strerror or exc}; {DOWNLOAD_HINT}")
    except json.JSONDecodeError as exc:
        fail(f"{where} is not valid JSON (line {exc.lineno}: {exc.msg}); {DOWNLOAD_HINT}")
    except UnicodeDecodeError:
        fail(f"{where} is not a JSON text file; {DOWNLOAD_HINT}")
    if not isinstance(data, dict) or not isinstance(data.get("installed"), dict):
        web = isinstance(data, dict) and "web" in data
        kind = "a Web application client" if web else "not an OAuth client's JSON"
        fail(f'{where} is {kind}: it needs an "installed" (Desktop app) client; {DOWNLOAD_HINT}')
    missing = [key for key in CLIENT_KEYS if not data["installed"].get(key)]
    if missing:
        fail(f"{where} lacks {', '.join(missing)}; {DOWNLOAD_HINT}")
    return data


def deployed_app_testing(stack: str) -> tuple[bool | None, str]:
    """The deployed sync function's googleAppTesting setting, or None and why it cannot be read."""
    from jada.settings import Settings

    try:
        name = outputs(stack)["SyncFunctionName"]
        config = aws.client("lambda").get_function_configuration(FunctionName=name)
        variables = config.get("Environment", {}).get("Variables", {})
        if "GOOGLE_APP_TESTING" not in variables:
            return None, f"{name} has no GOOGLE_APP_TESTING variable"
        return Settings.from_env(
            {"GOOGLE_APP_TESTING": variables["GOOGLE_APP_TESTING"]}
        ).google_app_testing, ""
    except ClientError as exc:
        return None, str(exc.response.get("Error", {}).get("Code", exc))
    except (ConfigurationError, BotoCoreError) as exc:
        return None, str(exc)


def status_line(chosen: bool | None, deployed: bool | None, why_unknown: str) -> tuple[str, bool | None]:
    """What `auth google` prints about the app status, and whether the token counts as Testing."""
    name = {True: "testing", False: "production", None: "unknown"}
    if chosen is not None:
        flag = "--testing-app" if chosen else "--production-app"
        line = f"app status: {name[chosen]} (recorded with the token: {flag})"
        if deployed is not None and deployed != chosen:
            line += f"; it overrides the deployment's googleAppTesting={str(deployed).lower()}"
        return line, chosen
    if deployed is None:
        return (
            f"app status: not recorded; the deployment's googleAppTesting setting applies (could not read "
            f"it: {why_unknown}). Pass --testing-app or --production-app to record it with the token",
            None,
        )
    return (
        f"app status: {name[deployed]} (not recorded with the token: the deployment's "
        f"googleAppTesting={str(deployed).lower()} applies; --testing-app / --production-app record one)",
        deployed,
    )


@app.command("google")
def google(
    client_secrets: Path = CLIENT_SECRETS,
    no_browser: bool = NO_BROWSER,
    testing_app: bool | None = APP_STATUS,
    port: int = PORT,
    stack: str = STACK,
) -> None:
    """Re-authenticate the Google account the sheet sync uses (consent is always asked again)."""
    from google_auth_oauthlib.flow import InstalledAppFlow
    from jada.sheets.token import (
        PRODUCTION,
        SCOPES,
        TESTING,
        TESTING_TOKEN_DAYS,
        TOKEN_AGE_WARN_DAYS,
        secret_value,
    )
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    client_config = load_client_config(client_secrets)
    try:
        secret_arn = outputs(stack)["GoogleTokenSecretArn"]
    except ConfigurationError as exc:
        fail(str(exc))
    deployed, why_unknown = deployed_app_testing(stack)
    flow = InstalledAppFlow.from_client_config(client_config, scopes=SCOPES)
    try:
        # prompt=consent: Google issues a new refresh token even if the account consented before
        credentials = flow.run_local_server(port=port, prompt="consent", open_browser=not no_browser)
    except OAuth2Error as exc:
        fail(f"Google refused the sign-in: {exc.error}: {exc.description or ''}".rstrip(": "), FAILED)
    if not credentials.refresh_token:
        fail(
            "Google returned no refresh token; remove the app's access at "
            "https://myaccount.google.com/permissions and run this again.",
            FAILED,
        )
    obtained = utcnow()
    recorded = "" if testing_app is None else (TESTING if testing_app else PRODUCTION)
    try:
        aws.client("secretsmanager").put_secret_value(
            SecretId=secret_arn, SecretString=secret_value(credentials.to_json(), obtained, recorded)
        )
    except (ClientError, BotoCoreError) as exc:
        fail(f"cannot store the token in {secret_arn}: {exc}", FAILED)
    line, testing = status_line(testing_app, deployed, why_unknown)
    typer.echo(f"Stored a new Google token in {secret_arn}")
    typer.echo(f"  scopes:   {' '.join(credentials.scopes or SCOPES)}")
    typer.echo(f"  obtained: {iso(obtained)}")
    typer.echo(f"  {line}")
    if testing:
        typer.echo(
            f"  the token dies by {iso(obtained + timedelta(days=TESTING_TOKEN_DAYS))} (Testing status); "
            f"the TokenExpiring alarm warns after {TOKEN_AGE_WARN_DAYS} days"
        )
    elif testing is False:
        typer.echo("  Production status: the token does not expire after 7 days; no token-age alarm")
    typer.echo(f"Check it now: jada sync now --stack {stack}")
