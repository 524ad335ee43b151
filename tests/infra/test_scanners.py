"""Two IaC scanners on the synthesized template (no bundling, no validation): cfn-lint finds no error
and only the warnings accepted below; checkov fails no check, and every check it skips carries the
reason the template gives (`jada_infra.checkov.skip_checkov`). Both print their counts.

checkov runs from its own venv (`.venv-checkov`, made by `make test`: its pins would fight the
project's); `CHECKOV` names another executable."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from jada.settings import EXAMPLE_SITES
from jada_infra.layers import ROOT
from jada_tools.local.provision import resources_of_type
from jada_tools.local.synth import LOCAL_CONTEXT, synthesize

#: cfn-lint warnings the template may carry, each with why it is acceptable
ACCEPTED_CFN_LINT_WARNINGS = {
    "W3005": "CDK adds DependsOn from a function to its role's policy although a GetAtt already orders "
    "them (CDK's own output, harmless).",
}
CHECKOV = Path(os.environ.get("CHECKOV") or ROOT / ".venv-checkov" / "bin" / "checkov")


#: every optional part switched on (the sheet sync, sites, MCP and web tools), so every resource is scanned
EVERYTHING_ON = {
    "spreadsheetId": "sheet-abc123",
    "sites": EXAMPLE_SITES,
    "serverTools": ["web_search"],
    "mcpServers": [
        {"name": "apps-script", "url": "https://mcp.example.com/mcp", "tokenSecret": "jada/mcp/a"}
    ],
}


@pytest.fixture(scope="module")
def full_template() -> dict[str, Any]:
    return synthesize({**LOCAL_CONTEXT, "alertEmail": "ops@example.com", **EVERYTHING_ON}).template


@pytest.fixture(scope="module")
def template_file(full_template: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scan") / "Jada.template.json"
    path.write_text(json.dumps(full_template, indent=1))
    return path


def report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    with capsys.disabled():
        print(f"\n{line}")


def test_cfn_lint_finds_no_error_and_only_accepted_warnings(
    template_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    matches = lint_file(template_file, config=ManualArgs(regions=["us-east-1"]))
    by_level = Counter(m.rule.severity for m in matches)
    report(capsys, f"cfn-lint: {by_level['error']} errors, {by_level['warning']} warnings")
    errors = [f"{m.rule.id} {m.message}" for m in matches if m.rule.severity == "error"]
    assert errors == []
    unexpected = [
        f"{m.rule.id} {m.message}"
        for m in matches
        if m.rule.severity != "error" and m.rule.id not in ACCEPTED_CFN_LINT_WARNINGS
    ]
    assert unexpected == [], "fix these or accept them in ACCEPTED_CFN_LINT_WARNINGS with a reason"


def run_checkov(template: Path) -> dict[str, Any]:
    if not CHECKOV.is_file():
        pytest.fail(f"checkov is not installed at {CHECKOV}: `make test` (or `make scan`) creates it")
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
    done = subprocess.run(
        [str(CHECKOV), "--file", str(template), "--framework", "cloudformation", "--output", "json",
         "--compact", "--skip-download"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        pytest.fail(f"checkov gave no JSON (exit {done.returncode}): {done.stderr[-2000:]}")
    return result


def test_checkov_fails_no_check_and_every_skip_has_a_reason(
    template_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_checkov(template_file)
    summary, results = result["summary"], result["results"]
    skipped = results.get("skipped_checks", [])
    by_check: dict[str, list[str]] = {}
    for c in skipped:
        by_check.setdefault(c["check_id"], []).append(c["resource"].split(".")[-1])
    report(
        capsys,
        f"checkov {summary['checkov_version']}: {summary['passed']} passed, {summary['skipped']} skipped, "
        f"{summary['failed']} failed on {summary['resource_count']} resources; skipped: "
        + "; ".join(f"{check} ({', '.join(sorted(ids))})" for check, ids in sorted(by_check.items())),
    )
    assert summary["parsing_errors"] == 0
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in results.get("failed_checks", [])]
    assert failed == [], "fix these, or skip_checkov(construct, id, reason) where it is a recorded choice"
    assert summary["passed"] > 100  # the checks did run
    unexplained = [
        c["check_id"] for c in skipped if not (c["check_result"].get("suppress_comment") or "").strip()
    ]
    assert unexplained == []


# --- what the scanners asked for, fixed in the template -------------------------------------------
def function(template: dict[str, Any], prefix: str) -> tuple[str, dict[str, Any]]:
    [(lid, fn)] = [
        (lid, r)
        for lid, r in resources_of_type(template, "AWS::Lambda::Function").items()
        if lid.startswith(prefix)
    ]
    return lid, fn["Properties"]


@pytest.mark.parametrize("prefix", ["OrchestrationPoll", "SheetSyncSyncFunction"])
def test_the_poll_and_the_sync_never_run_twice_at_once(full_template: dict[str, Any], prefix: str) -> None:
    _, props = function(full_template, prefix)
    assert props["ReservedConcurrentExecutions"] == 1


@pytest.mark.parametrize(
    ("prefix", "queue", "retries", "max_age_s"),
    [
        ("OrchestrationPoll", "OrchestrationScheduleDeadLetters", 0, 300),
        ("OrchestrationSessionEnd", "OrchestrationScheduleDeadLetters", 2, 3600),
        ("SheetSyncSyncFunction", "SheetSyncScheduleDeadLetters", 0, 900),
    ],
)
def test_asynchronously_invoked_functions_dead_letter_what_fails(
    full_template: dict[str, Any], prefix: str, queue: str, retries: int, max_age_s: int
) -> None:
    app_template = full_template
    lid, props = function(app_template, prefix)
    [queue_id] = [q for q in resources_of_type(app_template, "AWS::SQS::Queue") if q.startswith(queue)]
    assert props["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    [config] = [
        c["Properties"]
        for c in resources_of_type(app_template, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": lid}
    ]
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (retries, max_age_s)


def test_the_turn_batch_is_invoked_synchronously_only(app_template: dict[str, Any]) -> None:
    lid, props = function(app_template, "OrchestrationTurnBatch")
    assert "DeadLetterConfig" not in props
    skips = app_template["Resources"][lid]["Metadata"]["checkov"]["skip"]
    assert {s["id"] for s in skips} >= {"CKV_AWS_115", "CKV_AWS_116"}


def test_skip_checkov_writes_the_reason_into_the_resource_metadata() -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs
    from jada_infra.checkov import skip_checkov

    app = App()
    stack = Stack(app, "S")
    queue = sqs.Queue(stack, "Q")
    skip_checkov(queue, "CKV_AWS_27", "first reason")
    skip_checkov(queue, "CKV_AWS_27", "second reason")  # replaces, never duplicates
    assert queue.node.default_child is not None
    skip_checkov(queue.node.default_child, "CKV_AWS_99", "on the L1 too")
    [resource] = app.synth().get_stack_by_name("S").template["Resources"].values()
    assert resource["Metadata"]["checkov"] == {
        "skip": [
            {"id": "CKV_AWS_27", "comment": "second reason"},
            {"id": "CKV_AWS_99", "comment": "on the L1 too"},
        ]
    }
    with pytest.raises(ValueError, match="needs a reason"):
        skip_checkov(queue, "CKV_AWS_1", "  ")
