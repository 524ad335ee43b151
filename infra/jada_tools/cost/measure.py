"""Measure an idle deployment: a simulated idle day in the local cloud with a healthy sheet sync."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jada_tools.cost.profile import IdleProfile, profile_of_run
from jada_tools.local.cloud import RunResult

IDLE_START = datetime(2026, 5, 12, 0, 0, tzinfo=UTC)


def idle_scenario(hours: int = 24, start: datetime = IDLE_START) -> dict[str, Any]:
    """No tasks; a sheet that syncs fine all along. The window ends a second before `hours` are
    up, so the schedules fire exactly as often as in `hours` (no firing at the closing moment)."""
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return {
        "start": start.strftime(stamp),
        "end": (start + timedelta(hours=hours, seconds=-1)).strftime(stamp),
        "sheet_sync": {
            "spreadsheet_id": "idle-port-sheet",
            "token": {
                "client_id": "idle.apps.googleusercontent.com",
                "client_secret": "s",
                "refresh_token": "r",
            },
        },
    }


@dataclass
class Measured:
    profile: IdleProfile
    run: RunResult

    @property
    def template(self) -> dict[str, Any]:
        return self.run.deployment.template


def measure_idle(hours: int = 24, context: dict[str, Any] | None = None) -> Measured:
    """Run `hours` of idle time offline (about 40 s of real time for a day) and profile it."""
    from jada_tools.local.cloud import run
    from jada_tools.local.scenario import parse_scenario

    result = run(parse_scenario(idle_scenario(hours)), context=context, environ={})
    functions = {fn.name: fn.folder_name or fn.name for fn in result.deployment.functions.values()}
    source = f"measured: a simulated idle day of {hours} h with a healthy sheet sync (local cloud)"
    return Measured(profile_of_run(result.invocations, functions, hours, source), result)
