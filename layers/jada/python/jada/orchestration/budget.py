"""The monthly budget (`monthly_budget_usd`, 0 = none) on the model spend the turn batches record.

Checked by session end, after every session (and again when session end is retried):
- at 80% of the budget, one email;
- at 100%, one email, and new sessions pause (the poll's pause, kind `budget`) until 00:00 UTC on
  the first day of the next month. Running sessions finish.
Each email is published before its per-month marker is written: a crash in between (or two
sessions ending at the same moment) can send it twice, never not at all. When one session takes
the spend past both levels, only the 100% email is sent.

Lifting the pause: raise the budget (redeploy with `-c monthlyBudgetUsd=N`: the poll starts
sessions again by itself once the deployed budget is above the month's spend), or
`jada quota --resume`, which lifts it until the next session ends while the spend is still at or
over the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jada.clock import iso, next_month
from jada.orchestration.notices import publish
from jada.settings import Settings
from jada.stores.counters import BUDGET, CounterStore, Pause, month_of

LEVELS = (80, 100)


@dataclass
class BudgetCheck:
    month: str
    spent: float
    budget: float
    #: the highest level (percent) the spend has reached, None below 80%
    level: int | None = None
    #: levels whose email this check sent
    notified: list[int] = field(default_factory=list)
    #: True when this check paused new sessions
    paused: bool = False


def check_budget(
    now: datetime, *, counters: CounterStore, settings: Settings, sns: Any, topic_arn: str
) -> BudgetCheck | None:
    """Compare the month's spend with the budget; email and pause as the module says. None
    without a budget."""
    budget = settings.monthly_budget_usd
    if budget <= 0:
        return None
    month = month_of(now)
    check = BudgetCheck(month, counters.spend(month), budget)
    reached = [level for level in LEVELS if check.spent >= budget * level / 100]
    if not reached:
        return check
    check.level = max(reached)
    if check.level == 100 and counters.pause(now) is None:
        until = next_month(now)
        counters.pause_sessions(
            f"the monthly budget of ${budget:.2f} is reached (${check.spent:.2f} spent in {month})",
            until, now, kind=BUDGET, budget=budget,
        )  # fmt: skip
        check.paused = True
    if not counters.budget_noticed(month, check.level):
        subject, body = budget_message(check, next_month(now))
        if publish(sns, topic_arn, subject, body, kind="budget", level=str(check.level)):
            check.notified.append(check.level)
        for level in reached:  # a lower level passed at the same time needs no email of its own
            counters.mark_budget_noticed(month, level, now)
    return check


def budget_pause_holds(pause: Pause, spent: float, settings: Settings) -> bool:
    """Whether a budget pause still holds for the deployed budget: not once the operator has
    raised the budget above the month's spend (or removed it)."""
    budget = settings.monthly_budget_usd
    return pause.kind != BUDGET or (budget > 0 and spent >= budget)


def pause_in_force(counters: CounterStore, settings: Settings, now: datetime) -> Pause | None:
    """The pause that stops new sessions now: the stored one, unless it is a budget pause the
    deployed budget has outgrown (one more read, only for a budget pause)."""
    pause = counters.pause(now)
    if pause is not None and pause.kind == BUDGET:
        return pause if budget_pause_holds(pause, counters.spend(month_of(now)), settings) else None
    return pause


def budget_message(check: BudgetCheck, resumes_at: datetime) -> tuple[str, str]:
    spent, budget, month = f"${check.spent:.2f}", f"${check.budget:.2f}", check.month
    if check.level == 100:
        subject = f"jada: {month} budget reached ({spent} of {budget}): new sessions paused"
        what = [
            f"jada's model spend in {month} (UTC) is {spent}: the monthly budget of {budget} is reached.",
            f"New sessions are paused until {iso(resumes_at)}; sessions already running finish.",
            "",
            "To go on this month, either",
            "  raise the budget: cdk deploy -c monthlyBudgetUsd=<USD> (sessions start again by "
            "themselves once it is above the spend), or",
            "  lift the pause once: jada quota --resume (the next session to end pauses again "
            "while the spend is at or over the budget).",
        ]
    else:
        subject = f"jada: {check.level}% of the {month} budget used ({spent} of {budget})"
        what = [
            f"jada's model spend in {month} (UTC) is {spent}, {check.level}% of the monthly budget of "
            f"{budget}.",
            f"At 100% new sessions pause until {iso(resumes_at)}.",
        ]
    body = "\n".join([*what, "", "Spend by day and task: jada cost", "Quota, budget and pause: jada quota"])
    return subject, body
