"""Time helpers. jada never reads the wall clock deep inside domain code: callers pass `now`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_time(value: str) -> datetime:
    """Parse an ISO-8601 time (a trailing Z allowed); naive times are taken as UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with a Z, second precision (sortable as a string)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def next_rollover(moment: datetime) -> datetime:
    """The next 00:00 UTC after `moment`."""
    day = utc_day(moment) + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def next_month(moment: datetime) -> datetime:
    """00:00 UTC on the first day of the month after `moment`."""
    utc = moment.astimezone(UTC)
    year, month = (utc.year + 1, 1) if utc.month == 12 else (utc.year, utc.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)
