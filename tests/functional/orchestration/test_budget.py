"""The monthly budget against moto: spend recorded by turns, session end's 80% and 100% emails
(once each, also when session end runs twice), the pause of new sessions, and lifting it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from jada.models import Task
from jada.orchestration.session_end import SessionEndEvent, SessionEndResult, end_session
from jada.settings import Settings
from jada.stores.counters import BUDGET, SPEND_LIMIT

from tests.conftest import NOW, Cloud
from tests.functional.orchestration.conftest import Counted, Mailbox, settings
from tests.functional.orchestration.test_poll import add_tasks, executions, run_poll
from tests.functional.orchestration.test_session_end import LATER, running_task

BUDGET_10 = settings(monthly_budget_usd=10.0)


def spend(cloud: Cloud, usd: float, key: str) -> None:
    """What the turn batches record: a turn's cost, once per turn key."""
    cloud.counters().record_spend(key, usd, NOW)


def end(
    cloud: Cloud, task: Task, mailbox: Mailbox, s: Settings = BUDGET_10, **event: Any
) -> SessionEndResult:
    n = task.session_count
    payload = {"task_id": task.task_id, "session": n, "execution": task.execution_name(n), "turns": 3,
               "status": "completed", **event}  # fmt: skip
    return end_session(
        SessionEndEvent.model_validate(payload), LATER, tasks=cloud.tasks(), counters=cloud.counters(),
        sns=boto3.client("sns"), topic_arn=mailbox.topic_arn, settings=s, checkpoints=cloud.checkpoints(),
    )  # fmt: skip


def budget_mails(mailbox: Mailbox) -> list[str]:
    return [m["Subject"] for m in mailbox.messages() if "budget" in m["Subject"]]


def test_80_and_100_percent_email_once_each_also_when_session_end_runs_twice(
    cloud: Cloud, mailbox: Mailbox, state_machine: str
) -> None:
    # Given $8.50 spent this month against a $10 budget
    spend(cloud, 8.5, "a#1#1")
    first = running_task(cloud, title="crew page")
    # When its session ends, and Step Functions runs the end step again
    end(cloud, first, mailbox)
    end(cloud, first, mailbox)
    # Then one 80% email, and sessions go on
    assert budget_mails(mailbox) == ["jada: 80% of the 2026-05 budget used ($8.50 of $10.00)"]
    assert cloud.counters().pause(LATER) is None
    # Given the next session takes the month past the budget
    spend(cloud, 1.75, "b#1#1")
    second = running_task(cloud, title="berths")
    result = end(cloud, second, mailbox)
    again = end(cloud, second, mailbox)
    # Then one 100% email, and new sessions pause until the next month
    assert budget_mails(mailbox) == ["jada: 2026-05 budget reached ($10.25 of $10.00): new sessions paused"]
    assert result.budget is not None
    assert (result.budget.level, result.budget.paused) == (100, True)
    assert again.budget is not None
    assert (again.budget.notified, again.budget.paused) == ([], False)
    pause = cloud.counters().pause(LATER)
    assert pause is not None
    assert (pause.kind, pause.until, pause.budget) == (BUDGET, "2026-06-01T00:00:00+00:00", 10.0)
    # And the poll starts nothing while queued tasks wait, and says why
    add_tasks(cloud, 2, now=LATER)
    later = LATER + timedelta(days=3)
    polled = run_poll(cloud, state_machine, later, BUDGET_10)
    assert (polled.started, polled.stopped_by) == ([], "budget")
    assert executions(state_machine) == []
    # And from the first day of the next month sessions start again
    june = datetime(2026, 6, 1, 0, 1, tzinfo=UTC)
    assert len(run_poll(cloud, state_machine, june, BUDGET_10).started) == 2


def test_the_100_percent_email_says_what_to_do(cloud: Cloud, mailbox: Mailbox) -> None:
    spend(cloud, 12.0, "a#1#1")
    end(cloud, running_task(cloud), mailbox)
    # one session took the month past both levels: only the 100% email, and no 80% one later
    [mail] = mailbox.messages()
    assert mail["Subject"] == "jada: 2026-05 budget reached ($12.00 of $10.00): new sessions paused"
    body = mail["Message"]
    assert "paused until 2026-06-01T00:00:00Z" in body
    assert "cdk deploy -c monthlyBudgetUsd=" in body
    assert "jada quota --resume" in body
    assert mail["MessageAttributes"]["kind"]["Value"] == "budget"
    end(cloud, running_task(cloud, title="again"), mailbox)
    assert mailbox.messages() == []


def test_raising_the_budget_lets_the_poll_start_sessions_again(
    cloud: Cloud, mailbox: Mailbox, state_machine: str
) -> None:
    spend(cloud, 10.0, "a#1#1")
    end(cloud, running_task(cloud), mailbox)
    add_tasks(cloud, 1, now=LATER)
    assert run_poll(cloud, state_machine, LATER, BUDGET_10).stopped_by == "budget"
    # still under the spend: paused; above it (or no budget): sessions start, no --resume needed
    assert run_poll(cloud, state_machine, LATER, settings(monthly_budget_usd=9.0)).stopped_by == "budget"
    assert len(run_poll(cloud, state_machine, LATER, settings(monthly_budget_usd=25.0)).started) == 1


def test_resume_lifts_a_budget_pause_until_the_next_session_ends(
    cloud: Cloud, mailbox: Mailbox, state_machine: str
) -> None:
    spend(cloud, 10.5, "a#1#1")
    end(cloud, running_task(cloud), mailbox)
    mailbox.messages()
    assert cloud.counters().resume_sessions() is True
    add_tasks(cloud, 1, now=LATER)
    assert len(run_poll(cloud, state_machine, LATER, BUDGET_10).started) == 1
    # the next session to end pauses again (the spend is still over), without another email
    end(cloud, running_task(cloud, title="next"), mailbox)
    pause = cloud.counters().pause(LATER)
    assert pause is not None
    assert pause.kind == BUDGET
    assert mailbox.messages() == []


def test_no_budget_means_no_check(cloud: Cloud, mailbox: Mailbox) -> None:
    spend(cloud, 500.0, "a#1#1")
    result = end(cloud, running_task(cloud), mailbox, s=settings())
    assert result.budget is None
    assert cloud.counters().pause(LATER) is None
    assert mailbox.messages() == []


def test_a_spend_limit_pause_is_kept(cloud: Cloud, mailbox: Mailbox) -> None:
    cloud.counters().pause_sessions("spend limit reached", datetime(2026, 6, 1, tzinfo=UTC), NOW)
    spend(cloud, 11.0, "a#1#1")
    end(cloud, running_task(cloud), mailbox)
    pause = cloud.counters().pause(LATER)
    assert pause is not None
    assert pause.kind == SPEND_LIMIT
    assert budget_mails(mailbox) == ["jada: 2026-05 budget reached ($11.00 of $10.00): new sessions paused"]


def test_an_idle_poll_stays_one_request_under_a_budget_pause(cloud: Cloud, state_machine: str) -> None:
    counters = cloud.counters()
    counters.pause_sessions("budget", NOW + timedelta(days=10), NOW, kind=BUDGET, budget=10.0)
    clients = Counted()
    result = run_poll(cloud, state_machine, NOW, BUDGET_10, clients)
    assert clients.calls == ["dynamodb.Query"]
    assert result.stopped_by is None
