"""`jada cost`: recorded spend by day, month and task; `jada cost estimate`: what the deployment
costs idle and per session at list prices (offline, from the synthesized template).

The recorded spend is the model's: each turn's token cost at the prices in `jada.agent.pricing`,
added to the UTC day's and month's totals by the turn batch (the figures the monthly budget
watches). AWS's own charges are what `jada cost estimate` estimates."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import typer

from jada_tools.cli.common import AS_JSON, STACK, CliError, echo_json, guard

app = typer.Typer(no_args_is_help=False)
MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@app.callback(invoke_without_command=True)
def spend(
    ctx: typer.Context,
    month: str = typer.Option(None, "--month", help="The UTC month, YYYY-MM (default: this month)."),
    days: int = typer.Option(
        None, "--days", min=1, max=366, help="By day: the last N days (default 7; with --month, its days)."
    ),
    stack: str = STACK,
    as_json: bool = AS_JSON,
) -> None:
    """Model spend recorded so far: by day, the month's total against the monthly budget, and by
    task (sessions started in the month)."""
    if ctx.invoked_subcommand is not None:
        return
    from jada.clock import utc_day, utcnow

    today = utc_day(utcnow())
    first, last = guard(lambda: _window(month, days, today))
    data = guard(lambda: _spend(stack, first, last, month or f"{today:%Y-%m}"))
    if as_json:
        echo_json(data)
        return
    _print_spend(data)


def _window(month: str | None, days: int | None, today: date) -> tuple[date, date]:
    """The days listed: the last `days` (7) ending today, or those of `month` up to today."""
    if month is None:
        return today - timedelta(days=(days or 7) - 1), today
    match = MONTH.fullmatch(month.strip())
    if not match:
        raise CliError(f"--month must look like 2026-05, got {month!r}")
    start = date(int(match.group(1)), int(match.group(2)), 1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    end = min(end, today)
    if end < start:
        raise CliError(f"{month} has not begun yet")
    if days is not None:
        start = max(start, end - timedelta(days=days - 1))
    return start, end


def _spend(stack: str, first: date, last: date, month: str) -> dict[str, Any]:
    from jada.stores.counters import CounterStore
    from jada.stores.tasks import TaskStore

    from jada_tools.cli.stack import outputs
    from jada_tools.cli.tasks import _deployed_settings

    out = outputs(stack)
    counters = CounterStore(out["CountersTableName"])
    day_list = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    totals = counters.spend_by_period([*day_list, month])
    budget = _deployed_settings(out).monthly_budget_usd
    tasks: list[dict[str, Any]] = []
    for task in TaskStore(out["TasksTableName"]).list_all(limit=10_000):
        in_month = [s for s in task.session_list() if s.started_at.startswith(month)]
        cost = sum(s.usage.cost_usd for s in in_month)
        if in_month:
            tasks.append(
                {"id": task.task_id, "title": task.title, "status": task.status.value,
                 "sessions": len(in_month), "usd": round(cost, 4)}
            )  # fmt: skip
    tasks.sort(key=lambda t: (-t["usd"], t["id"]))
    month_usd = totals[month]
    return {
        "month": month,
        "month_usd": round(month_usd, 4),
        "monthly_budget_usd": budget or None,
        "budget_used_pct": round(100 * month_usd / budget, 1) if budget else None,
        "days": [{"day": d, "usd": round(totals[d], 4)} for d in day_list],
        "tasks": tasks,
        "covers": "model tokens (Anthropic), by UTC day; AWS charges: jada cost estimate",
    }


def _print_spend(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    budget = data["monthly_budget_usd"]
    against = (
        f" of the ${budget:.2f} budget ({data['budget_used_pct']}%)" if budget else " (no monthly budget)"
    )
    console.print(f"Model spend in {data['month']} (UTC): ${data['month_usd']:.2f}{against}")
    days = Table("day (UTC)", "USD", box=None)
    for row in data["days"]:
        days.add_row(row["day"], f"{row['usd']:.4f}")
    console.print(days)
    if not data["tasks"]:
        console.print(f"No sessions started in {data['month']}.")
        return
    tasks = Table("task", "status", "sessions", "USD", "title", title=f"by task, {data['month']}", box=None)
    for row in data["tasks"]:
        tasks.add_row(row["id"], row["status"], str(row["sessions"]), f"{row['usd']:.4f}", row["title"])
    console.print(tasks)


MEASURE = typer.Option(
    False, "--measure", help="Measure a simulated idle day in the local cloud first (about a minute)."
)


def _settings_of(context: dict[str, Any]) -> Any:
    from jada.settings import Settings, declared

    values = {s.name: context[s.context_key] for s in declared() if s.context_key in context}
    return Settings.parse(values, key=lambda s: f"cdk.json context value {s.context_key}")


def _template_and_settings() -> tuple[dict[str, Any], Any]:
    """The app as `cdk synth` would build it from cdk.json (no AWS, no bundling)."""
    from jada_tools.cost.measure import idle_scenario
    from jada_tools.local.scenario import parse_scenario
    from jada_tools.local.synth import base_context, scenario_context, synthesize

    scenario = parse_scenario({k: v for k, v in idle_scenario().items() if k != "sheet_sync"})
    context = scenario_context(scenario, base_context())
    return synthesize(context).template, _settings_of(context)


@app.command("estimate")
def estimate(  # noqa: PLR0917 (typer options)
    measure: bool = MEASURE,
    turns: int = typer.Option(None, "--turns", min=1, help="Turns per session (default: turnsPerSession)."),
    input_tokens: int = typer.Option(1_000, "--input-tokens", min=0, help="Uncached input tokens a turn."),
    cache_read_tokens: int = typer.Option(
        20_000, "--cache-read-tokens", min=0, help="Cache-read tokens a turn."
    ),
    cache_write_tokens: int = typer.Option(
        1_500, "--cache-write-tokens", min=0, help="Cache-write tokens a turn."
    ),
    output_tokens: int = typer.Option(1_000, "--output-tokens", min=0, help="Output tokens a turn."),
    turn_seconds: float = typer.Option(15.0, "--turn-seconds", min=0.1, help="Seconds a turn takes."),
    as_json: bool = AS_JSON,
) -> None:
    """Monthly cost at list prices (us-east-1), offline: idle, itemized, and per session.

    Synthesizes the app from cdk.json (no AWS). Idle figures come from a recorded idle day of the
    local cloud, or a fresh one with --measure; sessions are priced at the configured model.
    """
    from jada_tools.cost import estimate as est
    from jada_tools.cost import prices
    from jada_tools.cost.profile import RECORDED
    from jada_tools.cost.template import facts_of

    template, settings = guard(_template_and_settings)
    profile = RECORDED
    if measure:
        from jada_tools.cost.measure import measure_idle

        profile = measure_idle().profile
    facts = facts_of(template)
    turn = est.TurnShape(input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, turn_seconds)
    idle = est.idle_bill(facts, profile)
    session = est.session_bill(facts, settings, turn, turns)
    quota_month = est.full_quota_month(settings, session)
    if as_json:
        echo_json({
            "prices": {"region": prices.REGION, "as_of": prices.AS_OF},
            "profile": profile.to_dict(),
            "idle": idle.to_dict(),
            "session": session.to_dict(),
            "full_quota_month_usd": round(quota_month, 2),
            "sessions_per_day": settings.sessions_per_day,
        })  # fmt: skip
        return
    from rich.console import Console

    from jada_tools.cost.render import print_bill

    console = Console(width=160)
    console.print(
        f"List prices, {prices.REGION}, as of {prices.AS_OF} (no free tier). Idle profile: {profile.source}"
    )
    print_bill(console, idle)
    print_bill(console, session)
    console.print(
        f"At the full quota ({settings.sessions_per_day} sessions a day, every day): "
        f"${quota_month:,.2f} a month plus ${idle.total:.2f} idle."
    )
