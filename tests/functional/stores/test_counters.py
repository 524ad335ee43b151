"""CounterStore against DynamoDB in moto: the daily session quota, turns, and concurrency slots."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from jada.clock import epoch
from jada.errors import QuotaExhausted
from jada.stores import schema
from jada.stores.counters import CounterStore, day_key

from tests.conftest import NOW

BEFORE_MIDNIGHT = datetime(2026, 5, 12, 23, 59, 59, tzinfo=UTC)
MIDNIGHT = datetime(2026, 5, 13, 0, 0, 0, tzinfo=UTC)


@pytest.fixture
def counters(cloud: Any) -> CounterStore:
    return cloud.counters()


def raw_item(cloud: Any, pk: str) -> dict[str, Any]:
    item: dict[str, Any] = (
        boto3.resource("dynamodb").Table(cloud.counters_table).get_item(Key={"pk": pk})["Item"]
    )
    return item


# --- sessions per UTC day ---------------------------------------------------------------------
def test_take_session_counts_up_to_the_limit_then_raises(counters: CounterStore) -> None:
    # Given a limit of 3 sessions a day
    taken = [counters.take_session(NOW, limit=3) for _ in range(3)]
    # When a fourth is asked for
    with pytest.raises(QuotaExhausted) as err:
        counters.take_session(NOW, limit=3)
    # Then the first three got numbers 1..3 and the error says when the quota renews
    assert taken == [1, 2, 3]
    assert "2026-05-13 00:00 UTC" in str(err.value)
    assert err.value.details == {"day": "2026-05-12"}
    assert counters.sessions_used(date(2026, 5, 12)) == 3


def test_twenty_threads_racing_for_a_quota_of_five_exactly_five_win(serial_dynamo: Any) -> None:
    # Given 20 pollers with their own clients (DynamoDB behind a one-request-at-a-time server, see
    # the serial_dynamo fixture) and a quota of 5
    stores = [CounterStore("race", table=serial_dynamo(schema.COUNTERS, "race")) for _ in range(20)]
    start = threading.Barrier(len(stores))
    numbers: list[int] = []
    refused: list[int] = []

    def take(i: int, store: CounterStore) -> None:
        start.wait()
        try:
            numbers.append(store.take_session(NOW, limit=5))
        except QuotaExhausted:
            refused.append(i)

    threads = [threading.Thread(target=take, args=(i, s)) for i, s in enumerate(stores)]
    # When they all take a session at once
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then exactly five succeed, each with a distinct number, and the counter says 5
    assert sorted(numbers) == [1, 2, 3, 4, 5]
    assert len(refused) == 15
    assert stores[0].sessions_used(NOW.date()) == 5


def test_quota_renews_at_midnight_utc(counters: CounterStore) -> None:
    # Given the quota of 2 used up at 23:59:59
    counters.take_session(BEFORE_MIDNIGHT, limit=2)
    counters.take_session(BEFORE_MIDNIGHT, limit=2)
    with pytest.raises(QuotaExhausted):
        counters.take_session(BEFORE_MIDNIGHT, limit=2)
    # When asked again at 00:00:00 UTC
    number = counters.take_session(MIDNIGHT, limit=2)
    # Then the new day starts at 1 and the old day keeps its count
    assert number == 1
    assert counters.sessions_used(date(2026, 5, 12)) == 2
    assert counters.sessions_used(date(2026, 5, 13)) == 1


def test_the_day_is_the_utc_day_whatever_the_callers_time_zone(counters: CounterStore) -> None:
    # 01:30 in Berlin (UTC+2 in May) on the 13th is 23:30 UTC on the 12th
    counters.take_session(datetime(2026, 5, 13, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")), limit=5)
    assert counters.sessions_used(date(2026, 5, 12)) == 1
    assert counters.sessions_used(date(2026, 5, 13)) == 0


def test_a_lower_limit_later_in_the_day_is_enforced(counters: CounterStore) -> None:
    counters.take_session(NOW, limit=5)
    counters.take_session(NOW, limit=5)
    with pytest.raises(QuotaExhausted):
        counters.take_session(NOW, limit=2)


def test_give_back_returns_a_session_and_never_goes_below_zero(counters: CounterStore) -> None:
    # Given the quota of 1 used up
    counters.take_session(NOW, limit=1)
    # When the start fails and the session is given back (twice, and on an untouched day)
    counters.give_back_session(NOW)
    counters.give_back_session(NOW)
    counters.give_back_session(NOW + timedelta(days=3))
    # Then it can be taken again, and no count went negative
    assert counters.sessions_used(NOW.date()) == 0
    assert counters.take_session(NOW, limit=1) == 1
    assert counters.sessions_used((NOW + timedelta(days=3)).date()) == 0


def test_day_item_expires_after_the_retention_following_its_day(cloud: Any) -> None:
    store = CounterStore(cloud.counters_table, retention_days=7)
    store.take_session(NOW, limit=5)
    item = raw_item(cloud, day_key(NOW.date()))
    assert int(item["expires_at"]) == epoch(MIDNIGHT + timedelta(days=7))


# --- turns ------------------------------------------------------------------------------------
def test_turns_accumulate_per_session_with_ttl(counters: CounterStore, cloud: Any) -> None:
    assert counters.turns_used("t1-s1") == 0
    assert counters.add_turns("t1-s1", 5, NOW) == 5
    assert counters.add_turns("t1-s1", 3, NOW) == 8
    assert counters.add_turns("t1-s2", 1, NOW) == 1
    assert counters.turns_used("t1-s1") == 8
    assert int(raw_item(cloud, "turns#t1-s1")["expires_at"]) == epoch(NOW + timedelta(days=30))


# --- concurrency slots ------------------------------------------------------------------------
def test_slots_are_taken_up_to_the_cap(counters: CounterStore) -> None:
    stale = timedelta(hours=3)
    counters.take_slot("a-s1", NOW, limit=2, stale_after=stale)
    counters.take_slot("b-s1", NOW, limit=2, stale_after=stale)
    with pytest.raises(QuotaExhausted) as err:
        counters.take_slot("c-s1", NOW, limit=2, stale_after=stale)
    assert err.value.details == {"cap": 2}
    assert set(counters.slot_holders(NOW)) == {"a-s1", "b-s1"}


def test_taking_a_held_slot_again_returns_false_and_changes_nothing(counters: CounterStore) -> None:
    # Given a session holding the only slot
    stale = timedelta(hours=3)
    assert counters.take_slot("a-s1", NOW, limit=1, stale_after=stale) is True
    # When the same holder (a racing poll with the same execution name) takes it again
    again = counters.take_slot("a-s1", NOW + timedelta(hours=1), limit=1, stale_after=stale)
    # Then it is told so and the slot keeps its first expiry
    assert again is False
    assert counters.slot_holders(NOW) == {"a-s1": epoch(NOW + stale)}


def test_a_released_slot_can_be_taken_by_another_session(counters: CounterStore) -> None:
    stale = timedelta(hours=3)
    counters.take_slot("a-s1", NOW, limit=1, stale_after=stale)
    counters.release_slot("a-s1")
    counters.release_slot("a-s1")  # releasing twice is harmless
    counters.release_slot("never-held")
    counters.take_slot("b-s1", NOW, limit=1, stale_after=stale)
    assert set(counters.slot_holders(NOW)) == {"b-s1"}


def test_release_slot_before_any_slot_exists_is_harmless(counters: CounterStore) -> None:
    counters.release_slot("a-s1")
    assert counters.slot_holders(NOW) == {}


def test_a_stale_slot_is_reclaimed_after_stale_after(counters: CounterStore) -> None:
    # Given a session that took the only slot and died without releasing it
    stale = timedelta(hours=3)
    counters.take_slot("dead-s1", NOW, limit=1, stale_after=stale)
    # When another session asks just before it goes stale, it is refused
    with pytest.raises(QuotaExhausted):
        counters.take_slot("b-s1", NOW + stale - timedelta(seconds=1), limit=1, stale_after=stale)
    # And at stale_after it takes the slot
    counters.take_slot("b-s1", NOW + stale, limit=1, stale_after=stale)
    assert set(counters.slot_holders(NOW + stale)) == {"b-s1"}


def test_racing_slot_takers_never_exceed_the_cap(serial_dynamo: Any) -> None:
    # Given 8 sessions racing for 3 slots with optimistic writes
    stores = [CounterStore("slots", table=serial_dynamo(schema.COUNTERS, "slots")) for _ in range(8)]
    start = threading.Barrier(len(stores))
    won: list[str] = []

    def take(i: int, store: CounterStore) -> None:
        start.wait()
        try:
            store.take_slot(f"t{i}-s1", NOW, limit=3, stale_after=timedelta(hours=1))
            won.append(f"t{i}-s1")
        except QuotaExhausted:
            pass

    threads = [threading.Thread(target=take, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then exactly three hold a slot, and the stored holders are exactly the winners
    assert len(won) == 3
    assert set(stores[0].slot_holders(NOW)) == set(won)


# --- model spend ------------------------------------------------------------------------------
def test_a_turns_cost_is_added_to_its_day_and_month_once(counters: CounterStore) -> None:
    # Given turns recorded, one of them twice (a retried batch)
    assert counters.record_spend("t1#1#1", 0.25, NOW) is True
    assert counters.record_spend("t1#1#1", 0.25, NOW) is False
    assert counters.record_spend("t1#1#2", 0.125, NOW) is True
    assert counters.record_spend("t2#1#1", 1.0, MIDNIGHT) is True  # the next UTC day, same month
    assert counters.record_spend("t2#1#2", 0.0, MIDNIGHT) is False  # nothing to add
    # Then each day and the month hold each turn once
    assert counters.spend("2026-05-12") == 0.375
    assert counters.spend("2026-05-13") == 1.0
    assert counters.spend("2026-05") == 1.375
    assert counters.spend_by_period(["2026-05-11", "2026-05-12", "2026-05-13", "2026-05"]) == {
        "2026-05-11": 0.0, "2026-05-12": 0.375, "2026-05-13": 1.0, "2026-05": 1.375,
    }  # fmt: skip


def test_spend_totals_outlive_the_turn_markers(cloud: Any, counters: CounterStore) -> None:
    counters.record_spend("t1#1#1", 0.5, NOW)
    total, marker = raw_item(cloud, "spend#2026-05"), raw_item(cloud, "spent#t1#1#1")
    assert total["expires_at"] == epoch(NOW + timedelta(days=400))  # kept for `jada cost`
    assert marker["expires_at"] == epoch(NOW + timedelta(days=30))  # a retry comes within hours


def test_ten_racing_turns_retried_add_up_exactly(serial_dynamo: Any) -> None:
    stores = [CounterStore("spend", table=serial_dynamo(schema.COUNTERS, "spend")) for _ in range(10)]
    start = threading.Barrier(len(stores))

    def record(i: int, store: CounterStore) -> None:
        start.wait()
        store.record_spend(f"t{i}#1#1", 0.01, NOW)
        store.record_spend(f"t{i}#1#1", 0.01, NOW)  # each one retried

    threads = [threading.Thread(target=record, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stores[0].spend("2026-05") == pytest.approx(0.10)


def test_budget_notices_are_marked_once_per_month_and_level(counters: CounterStore) -> None:
    assert counters.budget_noticed("2026-05", 80) is False
    assert counters.mark_budget_noticed("2026-05", 80, NOW) is True
    assert counters.mark_budget_noticed("2026-05", 80, NOW) is False
    assert counters.budget_noticed("2026-05", 80) is True
    assert counters.budget_noticed("2026-05", 100) is False
    assert counters.budget_noticed("2026-06", 80) is False


def test_a_pause_says_its_kind(counters: CounterStore) -> None:
    until = NOW + timedelta(days=3)
    counters.pause_sessions("the monthly budget is reached", until, NOW, kind="budget", budget=25.0)
    pause = counters.pause(NOW)
    assert pause is not None
    assert (pause.kind, pause.budget, pause.until) == ("budget", 25.0, until.isoformat())
    assert (
        counters.sessions_paused(NOW) == f"the monthly budget is reached (paused until {until.isoformat()})"
    )
    assert counters.pause(until) is None
