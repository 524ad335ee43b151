"""An idle day in the local cloud: what it emits (what CloudWatch bills) and that it sends no email."""

from __future__ import annotations

import pytest
from jada_tools.cost.measure import measure_idle
from jada_tools.cost.profile import RECORDED

pytestmark = pytest.mark.slow


def test_an_idle_day_emits_only_heartbeats_and_sends_no_email(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("GOOGLE_OAUTH_TOKEN_URI", "SHEETS_API_ENDPOINT"):
        monkeypatch.delenv(key, raising=False)
    # Given a day with no task and a sheet that syncs fine
    measured = measure_idle(24)
    report = measured.run.report
    # Then the only custom metrics are the two heartbeats, every hour, and the first sync's rows
    assert report["metric_hours"] == {"PollHeartbeat": 24, "SyncSucceeded": 24, "RowsWritten": 1}
    assert [s["outcome"] for s in report["syncs"]] == ["ok"] * 48
    assert report["emails"] == []
    assert {a["state"] for a in report["alarms"]} <= {"OK", "INSUFFICIENT_DATA"}
    # And the recorded profile `jada cost estimate` uses says the same
    assert measured.profile.metric_hours_per_day == RECORDED.metric_hours_per_day
    assert {f: p.invocations_per_day for f, p in measured.profile.functions.items()} == {
        f: p.invocations_per_day for f, p in RECORDED.functions.items()
    }
