"""`jada cost`: recorded spend by day, month and task; `jada cost estimate`: what the deployment
costs idle and per session at list prices (offline, from the synthesized template)."""

from __future__ import annotations

from typing import Any

import typer

from jada_tools.cli.common import AS_JSON, echo_json, guard

app = typer.Typer(no_args_is_help=False)

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
    """Monthly cost at list prices (us-east-1): idle, itemized, and per session at the configured
    model. Offline: synthesizes the app from cdk.json; --measure runs an idle day locally."""
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
