"""The CDK app: cdk-nag clean, clear configuration errors, and `cdk synth` offline through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template
from jada_infra.app import STACK_NAME, build_app
from jada_infra.config import ContextError, StackConfig, rate_duration

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / "infra" / "node_modules" / ".bin" / "cdk"
CONTEXT = {"aws:cdk:bundling-stacks": [], "alertEmail": "ops@example.com"}


@pytest.fixture(autouse=True)
def _no_builtin_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDK_VALIDATION", "false")


def stack_of(app: Any) -> Any:
    return app.node.find_child(STACK_NAME)


# --- cdk-nag ----------------------------------------------------------------------------------
def test_the_app_is_cdk_nag_clean(tmp_path: Path) -> None:
    # Given the app as `cdk synth` builds it, with the AwsSolutions checks on
    app = build_app(context=CONTEXT, outdir=str(tmp_path))
    # When the stack is synthesized (this raises ValidationFailed while any finding remains)
    template = Template.from_stack(stack_of(app))
    # Then it synthesizes, with the state the app exists for
    assert len(template.find_resources("AWS::DynamoDB::Table")) >= 3


def test_a_non_compliant_resource_makes_synth_fail(tmp_path: Path) -> None:
    # Given the app plus a topic that lets publishers skip TLS (AwsSolutions-SNS3)
    app = build_app(context=CONTEXT, outdir=str(tmp_path))
    sns.Topic(stack_of(app), "RogueTopic")
    # When synthesized, Then cdk-nag stops it and names the resource
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        Template.from_stack(stack_of(app))
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert "Jada/RogueTopic" in json.dumps(report)


def test_without_nag_the_same_resource_synthesizes(tmp_path: Path) -> None:
    # (the failure above comes from cdk-nag, not from something else in the app)
    app = build_app(context=CONTEXT, outdir=str(tmp_path), nag=False)
    sns.Topic(stack_of(app), "RogueTopic")
    assert Template.from_stack(stack_of(app)).find_resources("AWS::SNS::Topic")


def test_the_stack_is_environment_agnostic(tmp_path: Path) -> None:
    app = build_app(context=CONTEXT, outdir=str(tmp_path), nag=False)
    assert stack_of(app).environment == "aws://unknown-account/unknown-region"


# --- configuration errors ---------------------------------------------------------------------
@pytest.mark.parametrize("email", ["ops", "ops@", "@example.com", "ops@example", "o ps@example.com"])
def test_a_bad_alert_email_is_a_clear_error(tmp_path: Path, email: str) -> None:
    with pytest.raises(ValueError, match="alertEmail must be an email address"):
        build_app(context={**CONTEXT, "alertEmail": email}, outdir=str(tmp_path))


@pytest.mark.parametrize("context", [{}, {"alertEmail": ""}, {"alertEmail": "  "}])
def test_a_missing_alert_email_stops_any_synth_saying_how_to_set_it(
    tmp_path: Path, context: dict[str, Any]
) -> None:
    # even a synth that cannot be deployed (bundling off) needs an address for the subscription
    with pytest.raises(ContextError) as err:
        build_app(context={"aws:cdk:bundling-stacks": [], **context}, outdir=str(tmp_path))
    assert "alertEmail is not set" in str(err.value)
    assert "cdk deploy -c alertEmail=" in str(err.value)
    assert "cdk.json" in str(err.value)


@pytest.mark.parametrize(
    "email",
    [
        "ops@example.com",
        "alerts@mail.example.org",
        "OPS@EXAMPLE.NET",
        "ops@harbour.test",
        "ops@harbour.invalid",
        "ops@box.localhost",
        "you@harbour-ops.com",
        "ops@yourdomain.com",
    ],
)
def test_a_placeholder_alert_email_stops_a_deployable_synth(tmp_path: Path, email: str) -> None:
    # Given the context `cdk deploy` / `cdk synth` give the app (bundling on: the stack can be deployed)
    # When the app is built, Then it stops before bundling anything, naming the address and the fix
    with pytest.raises(ContextError) as err:
        build_app(context={"alertEmail": email}, outdir=str(tmp_path))
    assert f"alertEmail {email!r} is a placeholder" in str(err.value)
    assert "cdk deploy -c alertEmail=" in str(err.value)


@pytest.mark.parametrize("email", ["ops@harbour-ops.com", "jada+ops@shipping.co.uk", "you.r@examples.com"])
def test_a_real_address_is_accepted_by_a_deployable_synth(email: str) -> None:
    config = StackConfig.from_context(App(context={"alertEmail": email}).node)
    assert config.alert_email == email


def test_a_synth_without_bundling_accepts_any_address(tmp_path: Path) -> None:
    # the local cloud and the tests: nothing is deployed and their mail never leaves the machine
    app = build_app(context={**CONTEXT, "alertEmail": "ops@example.com"}, outdir=str(tmp_path), nag=False)
    subscriptions = Template.from_stack(stack_of(app)).find_resources("AWS::SNS::Subscription")
    assert [s["Properties"]["Endpoint"] for s in subscriptions.values()] == ["ops@example.com"]


def test_a_good_address_synthesizes_its_email_subscription(tmp_path: Path) -> None:
    app = build_app(context={**CONTEXT, "alertEmail": "ops@harbour-ops.com"}, outdir=str(tmp_path), nag=False)
    subscriptions = Template.from_stack(stack_of(app)).find_resources("AWS::SNS::Subscription")
    assert [(s["Properties"]["Protocol"], s["Properties"]["Endpoint"]) for s in subscriptions.values()] == [
        ("email", "ops@harbour-ops.com")
    ]


def test_cdk_json_has_no_alert_email() -> None:
    assert "alertEmail" not in json.loads((ROOT / "cdk.json").read_text())["context"]


@pytest.mark.parametrize("key", ["pollRate", "syncRate"])
@pytest.mark.parametrize("rate", ["every minute", "5", "1 week", "0 minutes", "-1 minutes", "rate(1 minute)"])
def test_a_bad_rate_is_a_clear_error(tmp_path: Path, key: str, rate: str) -> None:
    with pytest.raises(ValueError, match=f"{key} must look like '1 minute'"):
        build_app(context={**CONTEXT, key: rate}, outdir=str(tmp_path))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("sessionsPerDay", "many", "sessionsPerDay must be a whole number"),
        ("sessionsPerDay", 0, "sessionsPerDay"),
        ("turnsPerSession", -1, "turnsPerSession"),
        ("maxSessionsPerTask", "3.5", "maxSessionsPerTask must be a whole number"),
        ("maxConcurrentSessions", 0, "maxConcurrentSessions"),
    ],
)
def test_a_bad_number_is_a_clear_error_naming_the_context_key(
    tmp_path: Path, key: str, value: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_app(context={**CONTEXT, key: value}, outdir=str(tmp_path))


@pytest.mark.parametrize(
    ("rate", "minutes"), [("1 minute", 1), ("30 minutes", 30), ("2 hours", 120), ("1 day", 1440)]
)
def test_rate_duration(rate: str, minutes: int) -> None:
    assert rate_duration(rate).to_minutes() == minutes


def test_numbers_given_as_strings_on_the_command_line_are_accepted(tmp_path: Path) -> None:
    # `cdk synth -c sessionsPerDay=7` passes a string
    app = build_app(context={**CONTEXT, "sessionsPerDay": "7", "googleAppTesting": "false"}, nag=False)
    config: StackConfig = stack_of(app).config
    assert config.settings.sessions_per_day == 7
    assert config.settings.google_app_testing is False
    assert config.settings.environment("poll")["SESSIONS_PER_DAY"] == "7"


def test_skip_bundling_context_turns_bundling_off(tmp_path: Path) -> None:
    # Given the app built with skipBundling and no aws: context (as the CDK CLI would pass it)
    context = {k: v for k, v in CONTEXT.items() if not k.startswith("aws:")}
    app = build_app(context={**context, "skipBundling": "true"}, outdir=str(tmp_path), nag=False)
    # Then its stack does not bundle (a plain stack would: the default is to bundle every stack)
    assert stack_of(app).bundling_required is False
    plain = App(context=context, outdir=str(tmp_path / "plain"))
    assert Stack(plain, "Plain").bundling_required is True


# --- the CDK CLI, offline ---------------------------------------------------------------------
def cdk_synth(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`cdk synth ARGS` from the repository root (cdk.json's app is .venv/bin/python infra/app.py)
    with no AWS credentials or profile at all, telemetry and notices off."""
    if not CDK.exists():
        pytest.skip(f"{CDK.relative_to(ROOT)} is absent: run `make cdk-cli` (npm ci in infra/) first")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        CDK_DISABLE_CLI_TELEMETRY="true",
        CDK_VALIDATION="false",
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
    )
    return subprocess.run(
        [str(CDK), "synth", "--no-notices", "-o", str(tmp_path / "cdk.out"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_cdk_cli_synth_works_offline_without_credentials(tmp_path: Path) -> None:
    # When `cdk synth` runs with an address; the CLI refuses `-c aws:cdk:bundling-stacks=[]`, so the
    # app's own skipBundling switch is used
    result = cdk_synth(tmp_path, "-c", "skipBundling=true", "-c", "alertEmail=ops@harbour-ops.com")
    # Then it exits 0 and writes the template
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((tmp_path / "cdk.out" / "Jada.template.json").read_text())
    assert "Outputs" in template
    assert {"TasksTableName", "CheckpointBucketName", "AlertTopicArn"} <= set(template["Outputs"])


def test_cdk_cli_synth_without_an_alert_email_stops_with_one_clear_line(tmp_path: Path) -> None:
    # Given cdk.json as shipped (no alertEmail) and a deployable synth (bundling on)
    result = cdk_synth(tmp_path)
    # Then the app stops before bundling, with one `error:` line and no traceback
    assert result.returncode != 0
    assert "error: context value alertEmail is not set" in result.stderr
    assert "cdk deploy -c alertEmail=you@yourdomain" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "cdk.out" / "Jada.template.json").exists()
