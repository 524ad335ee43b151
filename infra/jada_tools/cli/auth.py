"""`jada auth google`: consent in a browser, store the new token in the stack's secret.

Prints the scopes and the date, never the token."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer
from botocore.exceptions import BotoCoreError, ClientError
from jada import aws
from jada.clock import iso, utcnow
from jada.errors import ConfigurationError

from jada_tools.cli.stack import DEFAULT_STACK, outputs

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
STACK = typer.Option(DEFAULT_STACK, "--stack", help="The deployed stack's name.")


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

    try:
        secret_arn = outputs(stack)["GoogleTokenSecretArn"]
    except ConfigurationError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=SCOPES)
    # prompt=consent: Google issues a new refresh token even if the account consented before
    credentials = flow.run_local_server(port=port, prompt="consent", open_browser=not no_browser)
    if not credentials.refresh_token:
        typer.echo(
            "Google returned no refresh token; remove the app's access at "
            "https://myaccount.google.com/permissions and run this again.",
            err=True,
        )
        raise typer.Exit(1)
    obtained = utcnow()
    status = TESTING if testing_app else PRODUCTION
    try:
        aws.client("secretsmanager").put_secret_value(
            SecretId=secret_arn, SecretString=secret_value(credentials.to_json(), obtained, status)
        )
    except (ClientError, BotoCoreError) as exc:
        typer.echo(f"cannot store the token in {secret_arn}: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Stored a new Google token in {secret_arn}")
    typer.echo(f"  scopes:   {' '.join(credentials.scopes or SCOPES)}")
    typer.echo(f"  obtained: {iso(obtained)}")
    if testing_app:
        typer.echo(
            f"  app in Testing status: the token dies by {iso(obtained + timedelta(days=7))}; "
            "the TokenExpiring alarm warns after 6 days"
        )
    typer.echo(f"Check it now: jada sync now --stack {stack}")
