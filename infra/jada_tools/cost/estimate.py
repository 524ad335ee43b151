"""The monthly cost of a deployment, itemized: idle (what it costs doing nothing) and per session
(the model's tokens plus the AWS side). Pure arithmetic on the template's facts, the settings,
an idle profile and the list prices in `prices`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from jada.agent.pricing import cost_usd
from jada.models import Usage
from jada.settings import Settings

from jada_tools.cost import prices as p
from jada_tools.cost.profile import IdleProfile
from jada_tools.cost.template import TemplateFacts, batches


@dataclass(frozen=True)
class Line:
    service: str
    item: str
    quantity: float
    unit: str
    unit_usd: float
    note: str = ""
    #: False: shown but not added to the total (e.g. a dashboard inside the free three)
    counted: bool = True

    @property
    def usd(self) -> float:
        return self.quantity * self.unit_usd if self.counted else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "usd": round(self.usd, 6)}


@dataclass(frozen=True)
class Bill:
    title: str
    lines: list[Line] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "total_usd": round(self.total, 4),
            "lines": [x.to_dict() for x in self.lines],
        }


@dataclass(frozen=True)
class TurnShape:
    """Tokens of one average turn, and how long a turn takes (the turn batch's duration)."""

    input_tokens: int = 1_000
    output_tokens: int = 1_000
    cache_write_tokens: int = 1_500
    cache_read_tokens: int = 20_000
    seconds: float = 15.0

    def usage(self) -> Usage:
        return Usage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cache_write_tokens=self.cache_write_tokens,
            cache_read_tokens=self.cache_read_tokens,
        )


#: per-turn AWS work of a session, modelled from the code: a checkpoint, the stored reply, the
#: session record and usage on the task, the spend counters (a transaction of 3 items)
TURN_WRITE_UNITS = 16.0
TURN_READ_UNITS = 6.0
#: log bytes per turn (the turn batch's lines) and per state transition (execution data logged)
TURN_LOG_BYTES = 1_500
TRANSITION_LOG_BYTES = 1_500
SESSION_END_SECONDS = 0.3


def idle_bill(facts: TemplateFacts, profile: IdleProfile) -> Bill:
    lines: list[Line] = []
    for folder, measured in sorted(profile.functions.items()):
        if not _calls(facts, profile, folder):
            continue  # not scheduled in this template: it emits nothing while idle
        for name, hours in sorted(measured.metric_hours_per_day.items()):
            lines.append(
                Line("CloudWatch", f"custom metric {name}", hours * p.DAYS_PER_MONTH / p.HOURS_PER_MONTH,
                     "metric-months", p.METRIC_MONTH, f"{folder}: emitted {hours:g} h a day")
            )  # fmt: skip
    for alarm in facts.alarms:
        price = p.HIGH_RES_ALARM_METRIC_MONTH if alarm.high_resolution else p.ALARM_METRIC_MONTH
        note = "metric math" if alarm.metrics > 1 else ""
        lines.append(Line("CloudWatch", f"alarm {alarm.name}", alarm.metrics, "alarm metrics", price, note))
    for n in range(facts.dashboards):
        lines.append(
            Line("CloudWatch", f"dashboard {n + 1}", 1, "dashboards", p.DASHBOARD_MONTH,
                 "free as one of the account's first 3 dashboards; $3.00 a month beyond them", counted=False)
        )  # fmt: skip
    lines += _scheduled_lines(facts, profile)
    lines.append(Line("Secrets Manager", "secrets", facts.secrets, "secret-months", p.SECRET_MONTH))
    reads = sum(_calls(facts, profile, f) * profile.functions[f].secret_reads for f in profile.functions)
    lines.append(Line("Secrets Manager", "GetSecretValue calls", reads, "calls", p.SECRETS_API_CALL))
    lines.append(Line("S3, SNS, SQS", "requests and storage", 0, "", 0.0, "none while idle"))
    return Bill("idle, per month", lines)


def _calls(facts: TemplateFacts, profile: IdleProfile, folder: str) -> float:
    fn = facts.function(folder)
    return fn.scheduled_per_month if fn is not None and folder in profile.functions else 0.0


def _scheduled_lines(facts: TemplateFacts, profile: IdleProfile) -> list[Line]:
    """Lambda, Scheduler, DynamoDB, Logs and X-Ray for the scheduled functions."""
    lines: list[Line] = []
    requests = log_bytes = read_units = write_units = traces = 0.0
    for folder, measured in sorted(profile.functions.items()):
        fn = facts.function(folder)
        if fn is None or fn.scheduled_per_month == 0:
            continue
        calls = fn.scheduled_per_month
        gb_seconds = calls * measured.duration_ms / 1000 * fn.memory_mb / 1024
        lines.append(
            Line("Lambda", f"{folder} compute ({fn.memory_mb} MB, {measured.duration_ms:g} ms)", gb_seconds,
                 "GB-seconds", p.LAMBDA_GB_SECOND.get(fn.architecture, p.LAMBDA_GB_SECOND["x86_64"]))
        )  # fmt: skip
        requests += calls
        log_bytes += calls * (measured.log_bytes + p.LAMBDA_PLATFORM_LOG_BYTES)
        read_units += calls * measured.read_units
        write_units += calls * measured.write_units
        traces += calls if fn.tracing == "Active" else 0
    lines += [
        Line("Lambda", "requests", requests, "requests", p.LAMBDA_REQUEST),
        Line("EventBridge Scheduler", "invocations", requests, "invocations", p.SCHEDULER_INVOCATION),
        Line("DynamoDB", "read request units", read_units, "RRU", p.DYNAMODB_READ_UNIT),
        Line("DynamoDB", "write request units", write_units, "WRU", p.DYNAMODB_WRITE_UNIT),
        Line("CloudWatch Logs", "ingestion", log_bytes / p.GB, "GB", p.LOG_INGEST_GB),
        Line(
            "CloudWatch Logs", "storage (kept a month)", log_bytes / p.GB, "GB-months", p.LOG_STORAGE_GB_MONTH
        ),
        Line("X-Ray", "traces (functions with active tracing)", traces, "traces", p.TRACE_RECORDED),
    ]
    return lines


def session_bill(facts: TemplateFacts, settings: Settings, turn: TurnShape, turns: int | None = None) -> Bill:
    """One session of `turns` turns (default: the full `turns_per_session`) at the configured model."""
    turns = settings.turns_per_session if turns is None else turns
    batch_count = batches(turns, settings.turns_per_batch)
    per_turn = cost_usd(settings.model, turn.usage())
    transitions = facts.session.transitions(batch_count) if facts.session else 0
    lines = [
        Line("Anthropic", f"{settings.model} tokens", turns, "turns", per_turn,
             f"a turn: {turn.input_tokens} input, {turn.cache_read_tokens} cache-read, "
             f"{turn.cache_write_tokens} cache-write, {turn.output_tokens} output tokens"),
        Line("Step Functions", "state transitions", transitions, "transitions", p.STATE_TRANSITION,
             f"{batch_count} turn batches"),
    ]  # fmt: skip
    requests = batch_count + 1
    for folder, seconds in (("turn_batch", turns * turn.seconds), ("session_end", SESSION_END_SECONDS)):
        fn = facts.function(folder)
        if fn is None:
            continue
        price = p.LAMBDA_GB_SECOND.get(fn.architecture, p.LAMBDA_GB_SECOND["x86_64"])
        lines.append(
            Line("Lambda", f"{folder} compute ({fn.memory_mb} MB)", seconds * fn.memory_mb / 1024,
                 "GB-seconds", price, f"{turn.seconds:g} s a turn" if folder == "turn_batch" else "")
        )  # fmt: skip
    traced = any((fn := facts.function(f)) and fn.tracing == "Active" for f in ("turn_batch", "session_end"))
    log_bytes = (
        turns * TURN_LOG_BYTES + transitions * TRANSITION_LOG_BYTES + requests * p.LAMBDA_PLATFORM_LOG_BYTES
    )
    lines += [
        Line("Lambda", "requests", requests, "requests", p.LAMBDA_REQUEST),
        Line("DynamoDB", "write request units", turns * TURN_WRITE_UNITS, "WRU", p.DYNAMODB_WRITE_UNIT),
        Line("DynamoDB", "read request units", turns * TURN_READ_UNITS, "RRU", p.DYNAMODB_READ_UNIT),
        Line("Secrets Manager", "GetSecretValue calls (the API key)", batch_count, "calls",
             p.SECRETS_API_CALL, "at most one a turn batch (cached 5 minutes)"),
        Line("CloudWatch Logs", "ingestion", log_bytes / p.GB, "GB", p.LOG_INGEST_GB),
        # the execution's trace holds its functions' segments
        Line("X-Ray", "traces", 1 if traced else 0, "traces", p.TRACE_RECORDED),
    ]  # fmt: skip
    return Bill(f"one session of {turns} turns", lines)


def full_quota_month(settings: Settings, session: Bill) -> float:
    """Every session of the daily quota used, every day of the month."""
    return settings.sessions_per_day * p.DAYS_PER_MONTH * session.total
