"""A scenario's sites in the local cloud: imported into the workspace, edited and deployed by the
offline model through the real turn batch, the live bucket and CloudFront read back."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable

import boto3
import pytest
from jada_tools.local.cloud import RunResult, open_cloud
from jada_tools.local.scenario import parse_scenario
from jada_tools.local.sites import deployments, live_sites
from jada_tools.local.synth import base_context, scenario_context, synthesize

from tests.e2e.conftest import by_title

pytestmark = pytest.mark.slow

PAGE = (
    "<!doctype html>\n<html><head><title>Jada</title><link rel=stylesheet href=styles.css></head>\n"
    '<body>\n  <h1 class="hero">Welcome aboard</h1>\n  <p>Sailing the Mediterranean.</p>\n</body></html>\n'
)
CSS = "body { font-family: sans-serif; }\n" * 40
HERO = "Change the hero title of sailjada.com to 'Sail with Jada' and deploy the site."


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def scenario(approval: str, **extra: object) -> dict:
    return {
        "start": "2026-05-12T21:00:00Z",
        "end": "2026-05-12T21:40:00Z",
        "sites": {"sailjada.com": {"files": {"index.html": PAGE, "styles.css": CSS}, "approval": approval}},
        "tasks": [{"at": "2026-05-12T21:00:00Z", "title": "hero title", "prompt": HERO}],
        **extra,
    }


def test_change_the_hero_title_and_deploy(run_scenario: Callable[..., RunResult]) -> None:
    result = run_scenario(scenario("auto"))
    report = result.report
    task = by_title(result, "hero title")
    assert task["status"] == "done"
    assert [(s["outcome"], s["turns"]) for s in task["sessions"]] == [("completed", 4)]
    edited = PAGE.replace("Welcome aboard", "Sail with Jada")
    assert report["sites"] == {"sailjada.com": {"index.html": sha(edited), "styles.css": sha(CSS)}}
    (deploy,) = report["deployments"]
    assert deploy["site"] == "sailjada.com"
    assert deploy["task_id"] == task["id"]
    assert (deploy["uploaded"], deploy["deleted"]) == (["index.html"], [])
    assert deploy["bytes_uploaded"] == len(edited.encode())
    assert sorted(deploy["invalidation_paths"]) == ["/", "/index.html"]
    # CloudFront itself: exactly one invalidation, of those paths, made by that deploy
    (invalidation,) = report["invalidations"]["sailjada.com"]
    assert invalidation["id"] == deploy["invalidation_id"]
    assert sorted(invalidation["paths"]) == ["/", "/index.html"]
    assert invalidation["caller_reference"] == f"jada-{deploy['deploy_id']}"
    assert task["summary"].startswith("hero title: Deployed sailjada.com")
    lines = [e.text for e in result.timeline if e.kind == "deploy"]
    assert lines == [
        f"sailjada.com deployed by task {task['id']}: uploaded index.html ({len(edited.encode()):,} bytes); "
        f"CloudFront invalidation {deploy['invalidation_id']} of {', '.join(deploy['invalidation_paths'])}"
    ]


def test_an_operator_approved_deploy_publishes_only_after_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GOOGLE_OAUTH_TOKEN_URI", "SHEETS_API_ENDPOINT"):
        monkeypatch.delenv(key, raising=False)
    answer_at = parse_scenario(scenario("operator")).start.replace(minute=20)
    spec = parse_scenario(
        scenario(
            "operator", answers=[{"at": answer_at.isoformat(), "title": "hero title", "answer": "Approve."}]
        )
    )
    template = synthesize(scenario_context(spec, base_context())).template
    with open_cloud(spec, template, logs=io.StringIO()) as cloud:
        dep, sim = cloud.deployment, cloud.sim
        sim.start()
        sim.run_until(answer_at.replace(minute=19))
        # blocked on the operator: the workspace holds the edit, the live site does not
        task = next(iter(cloud_tasks(dep)))
        assert task.status.value == "blocked"
        assert task.blocked_reason.startswith("deploy_site sailjada.com waits for your approval")
        assert live_sites(dep) == {"sailjada.com": {"index.html": sha(PAGE), "styles.css": sha(CSS)}}
        assert deployments(dep) == []
        cf = boto3.client("cloudfront")
        distribution = cf.list_distributions()["DistributionList"]["Items"][0]["Id"]
        assert cf.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", []) == []
        assert any("task blocked: hero title" in e.subject for e in cloud.mailbox.emails)
        sim.run_until(spec.end)
        sim.stop_running()
        edited = PAGE.replace("Welcome aboard", "Sail with Jada")
        assert live_sites(dep)["sailjada.com"]["index.html"] == sha(edited)
        (deploy,) = deployments(dep)
        assert deploy["at"] >= answer_at.isoformat().replace("+00:00", "Z")
        assert deploy["uploaded"] == ["index.html"]
        task = next(iter(cloud_tasks(dep)))
        assert task.status.value == "done"
        assert [s.outcome.value for s in task.session_list() if s.outcome] == ["blocked", "completed"]
        invalidations = cf.list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"]
        assert [i["Id"] for i in invalidations] == [deploy["invalidation_id"]]


def cloud_tasks(dep: object) -> list:
    from jada_tools.local.observers import task_store

    return task_store(dep).list_all(limit=100)


def test_server_tools_and_an_mcp_server_answered_offline_with_the_token_kept_secret(
    run_scenario: Callable[..., RunResult],
) -> None:
    token = "mcp-token-DO-NOT-LEAK-7f3a"
    result = run_scenario({
        "start": "2026-05-12T21:00:00Z", "end": "2026-05-12T21:20:00Z",
        "settings": {"server_tools": ["web_search"]},
        "mcp_servers": [{"name": "apps-script", "url": "https://mcp.example.com/mcp", "token": token,
                         "allowed_tools": ["update_script"]}],
        "tasks": [
            {"at": "2026-05-12T21:00:00Z", "title": "forecast", "prompt": "Search the marine forecast."},
            {"at": "2026-05-12T21:00:00Z", "title": "script", "prompt": "Run the apps-script update."},
        ],
    })  # fmt: skip
    forecast, script = by_title(result, "forecast"), by_title(result, "script")
    assert forecast["status"] == script["status"] == "done"
    assert "Western Mediterranean marine forecast" in forecast["summary"]
    assert script["summary"] == "script: apps-script.update_script: done for 'script'."
    assert token not in json.dumps(result.report)
    assert token not in result.logs
    assert token not in " ".join(e.text for e in result.timeline)
