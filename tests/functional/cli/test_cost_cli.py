"""`jada cost`, `jada cost estimate` and the budget in `jada quota`, through the real typer app."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from jada.clock import iso, utc_day, utcnow
from jada.lifecycle import SessionOutcome, TaskStatus
from jada.models import SessionRecord, Usage
from jada.stores.counters import BUDGET, month_of
from jada_tools.cli import stack as cli_stack
from jada_tools.cli.main import app
from typer.testing import CliRunner

from tests.conftest import Cloud


@pytest.fixture
def cli(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Any:
    """invoke(*args) -> Result against moto, the poll function deployed with a $20 budget."""
    outputs = {"TasksTableName": cloud.tasks_table, "CountersTableName": cloud.counters_table,
               "PollFunctionName": "jada-poll"}  # fmt: skip
    monkeypatch.setenv("JADA_OUTPUTS_JSON", json.dumps(outputs))
    role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda").create_function(
        FunctionName="jada-poll", Runtime="python3.13", Role=role, Handler="handler.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        Environment={"Variables": {"MONTHLY_BUDGET_USD": "20.0"}},
    )  # fmt: skip
    cli_stack.outputs.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    cli_stack.outputs.cache_clear()


def task_with_a_session(cloud: Cloud, title: str, cost: float, started: Any) -> str:
    store = cloud.tasks()
    task = store.create(prompt="p", title=title, now=started)
    record = SessionRecord(number=1, execution=task.execution_name(1), started_at=iso(started))
    store.claim(task, session=record, now=started)
    ended = record.model_copy(
        update={"ended_at": iso(started), "turns": 4, "outcome": SessionOutcome.COMPLETED,
                "usage": Usage(input_tokens=100, cost_usd=cost)}
    )  # fmt: skip
    store.transition(task.task_id, TaskStatus.DONE, now=started, session=ended)
    return task.task_id


def test_cost_gives_spend_by_day_month_and_task(cli: Any, cloud: Cloud) -> None:
    now = utcnow()
    counters = cloud.counters()
    counters.record_spend("a#1#1", 1.5, now)
    counters.record_spend("a#1#2", 0.5, now)
    counters.record_spend("b#1#1", 3.0, now - timedelta(days=1))
    big = task_with_a_session(cloud, "berths", 3.0, now - timedelta(days=1))
    small = task_with_a_session(cloud, "crew page", 2.0, now)
    result = cli("cost", "--json", "--days", "2")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    today, yesterday = utc_day(now), utc_day(now - timedelta(days=1))
    assert data["days"] == [
        {"day": yesterday.isoformat(), "usd": 3.0},
        {"day": today.isoformat(), "usd": 2.0},
    ]
    if month_of(yesterday) == month_of(now):  # (on the 1st, yesterday belongs to last month)
        assert data["month_usd"] == 5.0
        assert (data["monthly_budget_usd"], data["budget_used_pct"]) == (20.0, 25.0)
        assert [(t["id"], t["usd"]) for t in data["tasks"]] == [(big, 3.0), (small, 2.0)]
    text = cli("cost")
    assert text.exit_code == 0, text.output
    assert f"Model spend in {month_of(now)} (UTC)" in text.output
    assert "of the $20.00 budget" in text.output
    assert "crew page" in text.output


def test_cost_of_a_month_and_bad_input(cli: Any, cloud: Cloud) -> None:
    data = json.loads(cli("cost", "--month", "2025-02", "--json").output)
    assert [d["day"] for d in data["days"]][:2] == ["2025-02-01", "2025-02-02"]
    assert len(data["days"]) == 28
    assert (data["month"], data["month_usd"], data["tasks"]) == ("2025-02", 0.0, [])
    bad = cli("cost", "--month", "May")
    assert bad.exit_code == 2
    assert bad.output.startswith("error: --month must look like 2026-05")


def test_quota_shows_the_budget_the_spend_and_a_budget_pause(cli: Any, cloud: Cloud) -> None:
    now = utcnow()
    counters = cloud.counters()
    counters.record_spend("a#1#1", 21.0, now)
    counters.pause_sessions("the monthly budget of $20.00 is reached", now + timedelta(days=40), now,
                            kind=BUDGET, budget=20.0)  # fmt: skip
    data = json.loads(cli("quota", "--json").output)
    assert (data["month_spend_usd"], data["monthly_budget_usd"], data["budget_used_pct"]) == (
        21.0,
        20.0,
        105.0,
    )
    assert data["pause_kind"] == "budget"
    text = cli("quota").output
    assert "model spend: $21.00 of the $20.00 budget (105.0%)" in text
    assert "cdk deploy -c monthlyBudgetUsd=" in text
    resumed = cli("quota", "--resume").output
    assert "sessions resumed" in resumed
    assert "the next session to end pauses new sessions again" in resumed
    assert json.loads(cli("quota", "--json").output)["paused"] is None


def test_cost_estimate_is_offline_and_adds_up(cli: Any) -> None:
    result = cli("cost", "estimate", "--json", "--turns", "10", "--output-tokens", "2000")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    idle, session = data["idle"], data["session"]
    assert idle["total_usd"] == pytest.approx(sum(line["usd"] for line in idle["lines"]), abs=1e-4)
    assert {line["service"] for line in idle["lines"]} >= {"CloudWatch", "Lambda", "Secrets Manager"}
    # cdk.json has no spreadsheetId: the sync is off, so nothing of it is billed while idle
    assert not [line for line in idle["lines"] if "SheetSync" in line["item"] or "sheet_sync" in line["item"]]
    [tokens] = [line for line in session["lines"] if line["service"] == "Anthropic"]
    assert (tokens["quantity"], session["title"]) == (10, "one session of 10 turns")
    assert "2000 output" in tokens["note"]
    assert data["full_quota_month_usd"] == pytest.approx(
        data["sessions_per_day"] * 730 / 24 * session["total_usd"], rel=1e-3
    )
