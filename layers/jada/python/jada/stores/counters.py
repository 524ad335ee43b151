"""Quota counters: sessions per UTC day, turns per session, and the concurrency cap.

Every counter is one item, changed with an atomic conditional update, so parallel Lambdas can
never take more than the limit. The day always comes from a time passed in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from jada.clock import epoch, next_rollover, utc_day
from jada.errors import QuotaExhausted
from jada.stores._dynamo import TableStore, from_item, is_condition_failure
from jada.stores.expressions import Update

SLOTS_KEY = "concurrency"
PAUSE_KEY = "sessions-paused"


def day_key(day: date) -> str:
    return f"sessions#{day.isoformat()}"


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

    # --- pause (the Anthropic spend limit is reached) ----------------------------------------
    def pause_sessions(self, reason: str, until: datetime, now: datetime) -> None:
        """Stop the poll from starting sessions until `until` (or until an operator resumes)."""
        self.table.put_item(
            Item={
                "pk": PAUSE_KEY,
                "reason": reason,
                "since": now.isoformat(),
                "until": until.isoformat(),
                "expires_at": epoch(until + self.retention),
            }
        )

    def sessions_paused(self, now: datetime) -> str | None:
        """Why new sessions are paused now (None when they are not)."""
        item = self.table.get_item(Key={"pk": PAUSE_KEY}, ConsistentRead=True).get("Item")
        if not item or datetime.fromisoformat(str(item["until"])) <= now:
            return None
        return f"{item['reason']} (paused until {item['until']})"

    def resume_sessions(self) -> bool:
        """Lift a pause; True if there was one."""
        old = self.table.delete_item(Key={"pk": PAUSE_KEY}, ReturnValues="ALL_OLD")
        return "Attributes" in old

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
