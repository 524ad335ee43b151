"""Time helpers: UTC days, rollover, ISO formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from jada.clock import epoch, iso, next_rollover, parse_time, utc_day, utcnow

PLUS_TWO = timezone(timedelta(hours=2))


def test_iso_is_utc_with_z_and_seconds() -> None:
    assert iso(datetime(2026, 5, 13, 1, 30, 15, 999, tzinfo=PLUS_TWO)) == "2026-05-12T23:30:15Z"


def test_parse_time_accepts_z_offsets_and_naive() -> None:
    expected = datetime(2026, 5, 12, 22, 0, tzinfo=UTC)
    assert parse_time("2026-05-12T22:00:00Z") == expected
    assert parse_time("2026-05-13T00:00:00+02:00") == expected
    assert parse_time("2026-05-12T22:00:00") == expected


def test_utc_day_uses_utc_not_the_local_offset() -> None:
    assert utc_day(datetime(2026, 5, 13, 1, 0, tzinfo=PLUS_TWO)) == date(2026, 5, 12)


def test_rollover_at_the_second_before_and_at_midnight() -> None:
    assert next_rollover(datetime(2026, 5, 12, 23, 59, 59, tzinfo=UTC)) == datetime(2026, 5, 13, tzinfo=UTC)
    assert next_rollover(datetime(2026, 5, 13, 0, 0, 0, tzinfo=UTC)) == datetime(2026, 5, 14, tzinfo=UTC)
    assert next_rollover(datetime(2026, 12, 31, 12, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)


def test_epoch() -> None:
    assert epoch(datetime(1970, 1, 2, tzinfo=UTC)) == 86_400


def test_utcnow_is_aware_utc() -> None:
    assert utcnow().tzinfo is UTC


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_iso_round_trips_and_sorts_like_time(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    assert parse_time(iso(moment)) == moment
    later = moment + timedelta(seconds=1)
    assert iso(moment) < iso(later)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_rollover_is_the_next_midnight_of_the_utc_day(moment: datetime) -> None:
    nxt = next_rollover(moment)
    assert moment < nxt <= moment + timedelta(days=1)
    assert (nxt.hour, nxt.minute, nxt.second) == (0, 0, 0)
    assert utc_day(nxt) == utc_day(moment) + timedelta(days=1)
