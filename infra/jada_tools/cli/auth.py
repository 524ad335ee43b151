"""`jada auth google`: consent in a browser, store the new token in the stack's secret.

Prints the scopes and the date, never the token."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer
from jada import aws
from jada.clock import iso, utcnow

from jada_tools.cli.common import FAILED, STACK, fail, guard
from jada_tools.cli.stack import outputs

app = typer.Typer(no_args_is_help=True)


CLIENT_SECRETS = typer.Option(
    ...,
    "--client-secrets",
    exists=True,
    dir_okay=False,
    readable=True,
    help="The OAuth client's JSON (Google Cloud console > Credentials > Desktop app > Download JSON).",
)
NO_BROWSER = typer.Option(False, "--no-browser", help="Print the consent URL instead of opening it.")
TESTING_APP = typer.Option(
    False, "--testing-app", help="The OAuth app is in Testing status: its tokens die after 7 days."
)
PORT = typer.Option(0, "--port", help="Local port for Google's redirect (0: any free port).")
CLIENT_TYPES = ("installed", "web")


@app.command("google")
def google(
    client_secrets: Path = CLIENT_SECRETS,
    no_browser: bool = NO_BROWSER,
    testing_app: bool = TESTING_APP,
    port: int = PORT,
    stack: str = STACK,
) -> None:
    """Re-authenticate the Google account the sheet sync uses (consent is always asked again)."""
    from google_auth_oauthlib.flow import InstalledAppFlow
    from jada.sheets.token import PRODUCTION, SCOPES, TESTING, secret_value

    check_client_secrets(client_secrets)
    secret_arn = guard(lambda: outputs(stack)["GoogleTokenSecretArn"])
    flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=SCOPES)
    # prompt=consent: Google issues a new refresh token even if the account consented before
    credentials = flow.run_local_server(port=port, prompt="consent", open_browser=not no_browser)
    if not credentials.refresh_token:
        fail(
            "Google returned no refresh token; remove the app's access at "
            "https://myaccount.google.com/permissions and run this again.",
            FAILED,
        )
    obtained = utcnow()
    status = TESTING if testing_app else PRODUCTION
    guard(
        lambda: aws.client("secretsmanager").put_secret_value(
            SecretId=secret_arn, SecretString=secret_value(credentials.to_json(), obtained, status)
        )
    )
    typer.echo(f"Stored a new Google token in {secret_arn}")
    typer.echo(f"  scopes:   {' '.join(credentials.scopes or SCOPES)}")
    typer.echo(f"  obtained: {iso(obtained)}")
    if testing_app:
        typer.echo(
            f"  app in Testing status: the token dies by {iso(obtained + timedelta(days=7))}; "
            "the TokenExpiring alarm warns after 6 days"
        )
    typer.echo(f"Check it now: jada sync now --stack {stack}")


def check_client_secrets(path: Path) -> None:
    """Exit 2 with a clear message unless `path` holds an OAuth client JSON as Google's console
    downloads it (`{"installed": {"client_id", "client_secret", "auth_uri", "token_uri", ...}}`)."""
    import json

    where = f"{path} is not an OAuth client JSON"
    fix = "download it again: Google Cloud console > APIs & Services > Credentials > your Desktop app client"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        fail(f"{where} (it is not valid JSON: {exc}); {fix}")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    client = next((data[k] for k in CLIENT_TYPES if isinstance(data, dict) and k in data), None)
    if not isinstance(client, dict):
        fail(f'{where} (no "installed" or "web" section); {fix}')
    missing = [k for k in ("client_id", "client_secret", "auth_uri", "token_uri") if not client.get(k)]
    if missing:
        fail(f"{where} (it lacks {', '.join(missing)}); {fix}")
