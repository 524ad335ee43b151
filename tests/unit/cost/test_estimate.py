"""The cost estimate's arithmetic, from inputs: template facts, an idle profile, list prices."""

from __future__ import annotations

from typing import Any

import pytest
from jada.agent.pricing import cost_usd
from jada.models import Usage
from jada.settings import Settings
from jada_tools.cost import prices as p
from jada_tools.cost.estimate import Bill, Line, TurnShape, full_quota_month, idle_bill, session_bill
from jada_tools.cost.profile import FunctionProfile, IdleProfile
from jada_tools.cost.template import AlarmFacts, FunctionFacts, SessionShape, TemplateFacts, batches, facts_of

FACTS = TemplateFacts(
    alarms=[AlarmFacts("heartbeat", 1), AlarmFacts("stale", 3), AlarmFacts("fast", 1, high_resolution=True)],
    secrets=2,
    dashboards=1,
    functions={
        "poll": FunctionFacts("poll", 256, "arm64", "PassThrough", scheduled_per_month=43_800),
        "sheet_sync": FunctionFacts("sheet_sync", 512, "arm64", "Active", scheduled_per_month=1_460),
        "turn_batch": FunctionFacts("turn_batch", 512, "arm64", "Active"),
        "session_end": FunctionFacts("session_end", 256, "x86_64", "Active"),
    },
    session=SessionShape(per_batch=2, at_end=2),
)
PROFILE = IdleProfile(
    source="test",
    functions={
        "poll": FunctionProfile(1440, 20.0, 200.0, 0.5, 0.0, 0.0, {"PollHeartbeat": 24.0}),
        "sheet_sync": FunctionProfile(
            48, 100.0, 800.0, 1.0, 1.0, 1.0, {"SyncSucceeded": 24.0, "RowsWritten": 2.0}
        ),
    },
)


def line(bill: Bill, item: str) -> Line:
    [found] = [x for x in bill.lines if x.item == item]
    return found


def test_custom_metrics_are_prorated_by_the_hours_they_are_emitted() -> None:
    bill = idle_bill(FACTS, PROFILE)
    assert line(bill, "custom metric PollHeartbeat").usd == pytest.approx(0.30)  # every hour: a full month
    assert line(bill, "custom metric RowsWritten").usd == pytest.approx(0.30 * 2 / 24)


def test_alarms_cost_per_metric_they_read_and_dashboards_inside_the_free_three_do_not_count() -> None:
    bill = idle_bill(FACTS, PROFILE)
    assert line(bill, "alarm heartbeat").usd == pytest.approx(0.10)
    assert line(bill, "alarm stale").usd == pytest.approx(0.30)  # metric math on 3 metrics
    assert line(bill, "alarm fast").usd == pytest.approx(0.30)  # high resolution
    dashboard = line(bill, "dashboard 1")
    assert (dashboard.usd, dashboard.counted, dashboard.unit_usd) == (0.0, False, 3.00)


def test_scheduled_functions_lambda_logs_dynamodb_scheduler_xray_and_secrets() -> None:
    bill = idle_bill(FACTS, PROFILE)
    calls = 43_800 + 1_460
    poll_gb_s = 43_800 * 0.020 * 0.25
    assert line(bill, "poll compute (256 MB, 20 ms)").quantity == pytest.approx(poll_gb_s)
    assert line(bill, "poll compute (256 MB, 20 ms)").usd == pytest.approx(poll_gb_s * 0.0000133334)
    assert line(bill, "requests").usd == pytest.approx(calls * 0.20 / 1e6)
    assert line(bill, "invocations").usd == pytest.approx(calls * 1.00 / 1e6)
    assert line(bill, "read request units").quantity == pytest.approx(43_800 * 0.5 + 1_460)
    assert line(bill, "write request units").quantity == pytest.approx(1_460)
    logged = 43_800 * (200 + p.LAMBDA_PLATFORM_LOG_BYTES) + 1_460 * (800 + p.LAMBDA_PLATFORM_LOG_BYTES)
    assert line(bill, "ingestion").usd == pytest.approx(logged / 1024**3 * 0.50)
    # the poll passes tracing through (no traces); the sync traces every run
    assert line(bill, "traces (functions with active tracing)").quantity == 1_460
    assert line(bill, "secrets").usd == pytest.approx(0.80)
    assert line(bill, "GetSecretValue calls").quantity == 1_460
    assert bill.total == pytest.approx(sum(x.usd for x in bill.lines))


def test_an_unscheduled_function_costs_nothing_idle() -> None:
    functions = {**FACTS.functions, "sheet_sync": FunctionFacts("sheet_sync", 512, "arm64", "Active")}
    bill = idle_bill(TemplateFacts(FACTS.alarms, 2, 0, functions, FACTS.session), PROFILE)
    items = [x.item for x in bill.lines]
    assert "custom metric SyncSucceeded" not in items
    assert not [i for i in items if i.startswith("sheet_sync")]
    assert line(bill, "requests").quantity == 43_800
    assert line(bill, "GetSecretValue calls").quantity == 0


def test_a_session_is_its_turns_tokens_plus_the_aws_side() -> None:
    settings = Settings(model="claude-haiku-5-5", turns_per_session=12, turns_per_batch=5)
    turn = TurnShape(
        input_tokens=500, output_tokens=800, cache_write_tokens=1000, cache_read_tokens=10_000, seconds=10
    )
    bill = session_bill(FACTS, settings, turn)
    used = Usage(input_tokens=500, output_tokens=800, cache_write_tokens=1000, cache_read_tokens=10_000)
    per_turn = cost_usd("claude-haiku-5-5", used)
    assert line(bill, "claude-haiku-5-5 tokens").usd == pytest.approx(12 * per_turn)
    assert batches(12, 5) == 3
    assert line(bill, "state transitions").quantity == 2 * 3 + 2
    assert line(bill, "turn_batch compute (512 MB)").quantity == pytest.approx(12 * 10 * 0.5)
    # session end runs on x86 here: its price
    end = line(bill, "session_end compute (256 MB)")
    assert end.unit_usd == p.LAMBDA_GB_SECOND["x86_64"]
    assert line(bill, "requests").quantity == 3 + 1
    assert full_quota_month(settings, bill) == pytest.approx(5 * 730 / 24 * bill.total)
    shorter = session_bill(FACTS, settings, turn, turns=4)
    assert line(shorter, "claude-haiku-5-5 tokens").usd == pytest.approx(4 * per_turn)


def test_facts_of_the_synthesized_app(app_template: dict[str, Any]) -> None:
    facts = facts_of(app_template)
    assert facts.secrets == 2
    assert facts.dashboards == 1
    assert facts.session == SessionShape(per_batch=2, at_end=2)  # Run turn batch + Batch status?; End + Ended
    poll = facts.function("poll")
    assert poll is not None
    assert (poll.memory_mb, poll.architecture, poll.tracing) == (256, "arm64", "PassThrough")
    assert poll.scheduled_per_month == pytest.approx(730 * 60)
    sync = facts.function("sheet_sync")
    assert sync is not None
    assert sync.scheduled_per_month == 0  # no spreadsheetId in the test context: the sync is off
    assert {a.name: a.metrics for a in facts.alarms} == {
        "Jada-ModelAuthFailed": 1, "Jada-SpendLimitReached": 1, "Jada-PollHeartbeatMissing": 1,
        "Jada-SessionEndErrors": 1, "Jada-ScheduleDeadLetters": 1,
    }  # fmt: skip


def test_a_profile_from_invocations_averages_them_and_counts_metric_hours() -> None:
    from jada_tools.cost.profile import MODELLED, profile_of_run
    from jada_tools.local.moto_lambda import Invocation

    def emf(ms: int, name: str) -> str:
        return (
            '{"_aws":{"Timestamp":' + str(ms) + ',"CloudWatchMetrics":[{"Namespace":"Jada","Dimensions":'
            '[["service"]],"Metrics":[{"Name":"'
            + name
            + '","Unit":"Count"}]}]},"service":"jada","'
            + name
            + '":[1.0]}\n'
        )

    hour = 3_600_000
    calls = [
        Invocation("fn-poll", {}, stdout=emf(0, "PollHeartbeat"), duration_s=0.010),
        Invocation("fn-poll", {}, stdout=emf(60_000, "PollHeartbeat"), duration_s=0.030),
        Invocation("fn-poll", {}, stdout=emf(hour, "PollHeartbeat"), duration_s=0.020),
        Invocation("other", {}, stdout="x", duration_s=1.0),
    ]
    profile = profile_of_run(calls, {"fn-poll": "poll"}, hours=12, source="t")
    poll = profile.functions["poll"]
    assert poll.invocations_per_day == 6.0  # 3 in half a day
    assert poll.duration_ms == pytest.approx(20.0)
    sizes = [len(c.stdout) for c in calls[:3]]
    assert poll.log_bytes == pytest.approx(sum(sizes) / 3, abs=0.05)
    assert poll.metric_hours_per_day == {"PollHeartbeat": 4.0}  # 2 distinct hours in 12 h
    assert (poll.read_units, poll.write_units, poll.secret_reads) == MODELLED["poll"]
    assert set(profile.functions) == {"poll"}
