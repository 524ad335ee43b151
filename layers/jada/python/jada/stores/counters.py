"""Quota counters: sessions per UTC day, turns per session, the concurrency cap, the pause, and
the model spend per UTC day and month (with the monthly budget's notices).

Every counter is one item, changed with an atomic conditional update, so parallel Lambdas can
never take more than the limit. The day always comes from a time passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from jada.clock import epoch, next_rollover, utc_day
from jada.errors import QuotaExhausted
from jada.stores._dynamo import TableStore, from_item, is_condition_failure
from jada.stores.expressions import Update

SLOTS_KEY = "concurrency"
PAUSE_KEY = "sessions-paused"
#: spend totals (`spend#2026-05-12`, `spend#2026-05`) and the per-turn markers that make adding
#: a turn's cost idempotent (`spent#<task>#<session>#<turn>`); the turn batch may write only these
SPEND_PREFIX, SPENT_PREFIX = "spend#", "spent#"
SPEND_KEY_PREFIXES = (SPEND_PREFIX, SPENT_PREFIX)
#: spend totals are kept this long, for `jada cost`
SPEND_KEPT = timedelta(days=400)
BUDGET_NOTICE_PREFIX = "budget-notice#"
#: why new sessions are paused (`Pause.kind`)
SPEND_LIMIT, BUDGET = "spend_limit", "budget"


def day_key(day: date) -> str:
    return f"sessions#{day.isoformat()}"


def month_of(moment: datetime | date) -> str:
    """The UTC month of a time or a day: `2026-05`."""
    day = utc_day(moment) if isinstance(moment, datetime) else moment
    return f"{day.year:04d}-{day.month:02d}"


def spend_key(period: str) -> str:
    """The spend total of a day (`2026-05-12`) or a month (`2026-05`)."""
    return f"{SPEND_PREFIX}{period}"


@dataclass(frozen=True)
class Pause:
    """New sessions are paused: the Anthropic spend limit (`spend_limit`) or the monthly budget
    (`budget`, with the budget it was reached at)."""

    reason: str
    kind: str
    since: str
    until: str
    budget: float | None = None

    def describe(self) -> str:
        return f"{self.reason} (paused until {self.until})"


class CounterStore(TableStore):
    # --- sessions per UTC day ---------------------------------------------------------------
    def take_session(self, now: datetime, limit: int) -> int:
        """Take one session from the day's quota; returns its number within the day (1-based)."""
        try:
            update = (
                Update()
                .add("used", 1)
                .set("expires_at", epoch(next_rollover(now) + self.retention))
                .set("day_limit", limit)
                .when(Attr("used").not_exists() | Attr("used").lt(limit))
            )
            result = self.table.update_item(
                Key={"pk": day_key(utc_day(now))}, ReturnValues="UPDATED_NEW", **update.kwargs()
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                raise QuotaExhausted(
                    f"the quota of {limit} sessions for {utc_day(now)} is used up; "
                    f"it renews at {next_rollover(now):%Y-%m-%d %H:%M} UTC",
                    day=utc_day(now).isoformat(),
                ) from exc
            raise
        return int(result["Attributes"]["used"])

    def give_back_session(self, now: datetime) -> None:
        """Return a session taken for a start that did not happen."""
        try:
            update = Update().add("used", -1).when(Attr("used").gt(0))
            self.table.update_item(Key={"pk": day_key(utc_day(now))}, **update.kwargs())
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def sessions_used(self, day: date) -> int:
        item = self.table.get_item(Key={"pk": day_key(day)}, ConsistentRead=True).get("Item")
        return int(item["used"]) if item else 0

    # --- turns per session ------------------------------------------------------------------
    def add_turns(self, session_id: str, count: int, now: datetime) -> int:
        update = Update().add("used", count).set("expires_at", epoch(now + self.retention))
        result = self.table.update_item(
            Key={"pk": f"turns#{session_id}"}, ReturnValues="UPDATED_NEW", **update.kwargs()
        )
        return int(result["Attributes"]["used"])

    def turns_used(self, session_id: str) -> int:
        item = self.table.get_item(Key={"pk": f"turns#{session_id}"}, ConsistentRead=True).get("Item")
        return int(item["used"]) if item else 0

    # --- pause (the Anthropic spend limit or the monthly budget is reached) -----------------
    def pause_sessions(
        self,
        reason: str,
        until: datetime,
        now: datetime,
        *,
        kind: str = SPEND_LIMIT,
        budget: float | None = None,
    ) -> None:
        """Stop the poll from starting sessions until `until` (or until an operator resumes)."""
        item: dict[str, Any] = {
            "pk": PAUSE_KEY,
            "reason": reason,
            "kind": kind,
            "since": now.isoformat(),
            "until": until.isoformat(),
            "expires_at": epoch(until + self.retention),
        }
        if budget is not None:
            item["budget"] = Decimal(repr(float(budget)))
        self.table.put_item(Item=item)

    def pause(self, now: datetime) -> Pause | None:
        """The pause in force now, if any."""
        item = self.table.get_item(Key={"pk": PAUSE_KEY}, ConsistentRead=True).get("Item")
        if not item or datetime.fromisoformat(str(item["until"])) <= now:
            return None
        budget = item.get("budget")
        return Pause(
            reason=str(item["reason"]),
            kind=str(item.get("kind", SPEND_LIMIT)),
            since=str(item.get("since", "")),
            until=str(item["until"]),
            budget=float(budget) if budget is not None else None,
        )

    def sessions_paused(self, now: datetime) -> str | None:
        """Why new sessions are paused now (None when they are not)."""
        found = self.pause(now)
        return found.describe() if found else None

    def resume_sessions(self) -> bool:
        """Lift a pause; True if there was one."""
        old = self.table.delete_item(Key={"pk": PAUSE_KEY}, ReturnValues="ALL_OLD")
        return "Attributes" in old

    # --- model spend ------------------------------------------------------------------------
    def record_spend(self, turn_key: str, cost_usd: float, now: datetime) -> bool:
        """Add a turn's cost to its UTC day's and month's spend, once: a repeat with the same
        `turn_key` (`<task>#<session>#<turn>`, a retried batch) changes nothing. One transaction:
        the marker and both totals, or nothing. True if the cost was added now."""
        if cost_usd <= 0:
            return False
        amount = Decimal(repr(float(cost_usd)))
        # the table's own client: it takes and gives plain values, like the table
        client = self.table.meta.client
        totals = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": {"pk": spend_key(period)},
                    **Update()
                    .add("cost_usd", amount)
                    .add("turns", 1)
                    .set("expires_at", epoch(now + SPEND_KEPT))
                    .kwargs(),
                }
            }
            for period in (utc_day(now).isoformat(), month_of(now))
        ]
        marker = {
            "Put": {
                "TableName": self.table_name,
                "Item": {"pk": f"{SPENT_PREFIX}{turn_key}", "cost_usd": amount,
                         "expires_at": epoch(now + self.retention)},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }  # fmt: skip
        try:
            client.transact_write_items(TransactItems=[marker, *totals])
        except ClientError as exc:
            if _cancelled_by_condition(exc):
                return False  # counted by an earlier attempt
            raise
        return True

    def spend(self, period: str) -> float:
        """The recorded model spend (USD) of a UTC day (`2026-05-12`) or month (`2026-05`)."""
        item = self.table.get_item(Key={"pk": spend_key(period)}, ConsistentRead=True).get("Item")
        return float(item.get("cost_usd", 0)) if item else 0.0

    def spend_by_period(self, periods: list[str]) -> dict[str, float]:
        """`spend` of several days or months, 100 per request."""
        found: dict[str, float] = {}
        client = self.table.meta.client
        for start in range(0, len(periods), 100):
            keys = [{"pk": spend_key(p)} for p in periods[start : start + 100]]
            request: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": True}}
            while request:
                answer = client.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    found[str(item["pk"]).removeprefix(SPEND_PREFIX)] = float(item.get("cost_usd", 0))
                request = answer.get("UnprocessedKeys") or {}
        return {p: found.get(p, 0.0) for p in periods}

    # --- monthly budget notices -------------------------------------------------------------
    def budget_noticed(self, month: str, level: int) -> bool:
        key = f"{BUDGET_NOTICE_PREFIX}{month}#{level}"
        return "Item" in self.table.get_item(Key={"pk": key}, ConsistentRead=True)

    def mark_budget_noticed(self, month: str, level: int, now: datetime) -> bool:
        """Record that the `level`% notice of `month` was sent; False if it already was."""
        try:
            self.table.put_item(
                Item={"pk": f"{BUDGET_NOTICE_PREFIX}{month}#{level}", "at": now.isoformat(),
                      "expires_at": epoch(now + SPEND_KEPT)},
                ConditionExpression=Attr("pk").not_exists(),
            )  # fmt: skip
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    # --- concurrency cap --------------------------------------------------------------------
    def take_slot(self, holder: str, now: datetime, limit: int, stale_after: timedelta) -> bool:
        """Hold one of `limit` concurrent-session slots. Slots older than `stale_after` (a session
        that died without releasing) are reclaimed. Optimistic concurrency on a version number.
        Returns False, changing nothing, when `holder` already holds a live slot (a racing poll)."""
        for _ in range(20):
            item = from_item(
                self.table.get_item(Key={"pk": SLOTS_KEY}, ConsistentRead=True).get("Item") or {}
            )
            holders: dict[str, int] = {k: v for k, v in item.get("holders", {}).items() if v > epoch(now)}
            if holder in holders:
                return False
            if holder not in holders and len(holders) >= limit:
                raise QuotaExhausted(f"{len(holders)} sessions are running; the cap is {limit}", cap=limit)
            holders[holder] = epoch(now + stale_after)
            version = item.get("version", 0)
            try:
                self.table.put_item(
                    Item={"pk": SLOTS_KEY, "holders": holders, "version": version + 1},
                    ConditionExpression=Attr("pk").not_exists() | Attr("version").eq(version),
                )
                return True
            except ClientError as exc:
                if not is_condition_failure(exc):
                    raise
        raise QuotaExhausted("the concurrency slots are contended; try again at the next poll")

    def release_slot(self, holder: str) -> None:
        try:
            update = (
                Update()
                .remove(f"holders.{holder}")
                .increment("version")
                .when(Attr(f"holders.{holder}").exists())
            )
            self.table.update_item(Key={"pk": SLOTS_KEY}, **update.kwargs())
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def slot_holders(self, now: datetime) -> dict[str, int]:
        item = from_item(self.table.get_item(Key={"pk": SLOTS_KEY}, ConsistentRead=True).get("Item") or {})
        return {k: v for k, v in item.get("holders", {}).items() if v > epoch(now)}


def _cancelled_by_condition(exc: ClientError) -> bool:
    """A cancelled transaction whose cause is a failed condition (not a conflict or throttling)."""
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = exc.response.get("CancellationReasons")
    if reasons:
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
    return "ConditionalCheckFailed" in str(exc.response.get("Error", {}).get("Message", ""))
