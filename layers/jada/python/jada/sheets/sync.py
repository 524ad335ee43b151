"""One sheet sync run: token -> refresh -> read -> mirror -> last-sync record.

Every run ends with one outcome (see `classify.OUTCOMES`), is recorded in the sheet table, and never
erases data on a failed or suspicious read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from jada.clock import iso
from jada.errors import ConfigurationError
from jada.settings import Settings
from jada.sheets.api import SheetReader
from jada.sheets.classify import (
    CONFIG_ERROR,
    NOT_CONFIGURED,
    OK,
    TOKEN_ERROR,
    TRANSIENT_ERROR,
    Failure,
    classify,
)
from jada.sheets.mirror import DEFAULT_MIN_FRACTION, parse_sheet, plan_mirror
from jada.sheets.store import SheetStore
from jada.sheets.token import TOKEN_AGE_NOTICE_DAYS, TokenEndpoint, TokenRecord, TokenSource, refresh
from jada.telemetry import M

MAX_QUARANTINE_DETAILS = 50
#: the reason of a run without a spreadsheet id: the deployment has the sync off (no schedule)
SYNC_OFF = (
    "the sheet sync is off: no spreadsheetId is configured "
    "(deploy with -c spreadsheetId=<the sheet's id> to turn it on)"
)


@dataclass(frozen=True)
class SyncConfig:
    spreadsheet_id: str
    sheet_range: str
    key_column: str
    app_testing: bool  # used when the secret does not say the app's status
    token_uri: str | None = None
    attempts: int = 3
    backoff_seconds: float = 2.0
    min_fraction: float = DEFAULT_MIN_FRACTION

    @classmethod
    def from_settings(cls, settings: Settings, token_uri: str | None = None) -> SyncConfig:
        return cls(
            spreadsheet_id=settings.spreadsheet_id,
            sheet_range=settings.sheet_range,
            key_column=settings.sheet_key_column,
            app_testing=settings.google_app_testing,
            token_uri=token_uri or None,
        )


@dataclass
class SyncResult:
    outcome: str
    at: str
    rows: int = 0
    written: int = 0
    tombstoned: int = 0
    quarantined: int = 0
    unchanged: int = 0
    suspicious: bool = False
    reason: str | None = None
    error_code: str | None = None
    error_description: str | None = None
    token_age_days: float | None = None
    app_testing: bool | None = None
    attempts: int = 0
    quarantine: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


OUTCOME_METRICS = {
    OK: M.SYNC_OK,
    TOKEN_ERROR: M.SYNC_TOKEN_ERROR,
    TRANSIENT_ERROR: M.SYNC_TRANSIENT_ERROR,
    CONFIG_ERROR: M.SYNC_CONFIG_ERROR,
    NOT_CONFIGURED: M.SYNC_NOT_CONFIGURED,
}


def metric_values(result: SyncResult) -> dict[str, float]:
    """The run's own outcome (1), and counts and the token's age only when they say something:
    a metric is billed for every hour it is sent, so zeros are not sent. Alarms on the error
    outcomes treat missing data as not breaching; the stale-sync alarm watches the `ok` one."""
    values: dict[str, float] = {OUTCOME_METRICS[result.outcome]: 1}
    counts = {
        M.SYNC_SUSPICIOUS: float(result.suspicious),
        M.ROWS_WRITTEN: result.written,
        M.ROWS_TOMBSTONED: result.tombstoned,
        M.ROWS_QUARANTINED: result.quarantined,
    }
    values.update({name: value for name, value in counts.items() if value})
    # only an app in Testing has a 7-day token, and its age matters only near the end
    age = result.token_age_days
    if age is not None and result.app_testing and age >= TOKEN_AGE_NOTICE_DAYS:
        values[M.TOKEN_AGE_DAYS] = age
    return values


def run_sync(
    config: SyncConfig,
    *,
    tokens: TokenSource,
    reader: SheetReader,
    store: SheetStore,
    now: datetime,
    endpoint: TokenEndpoint | None = None,
    sleep: Callable[[float], None] = time.sleep,
    log: Any = None,
) -> SyncResult:
    """Run one sync and record it. Raises only on a bug or when the sheet table cannot be written."""
    result = _sync(
        config,
        tokens=tokens,
        reader=reader,
        store=store,
        now=now,
        endpoint=endpoint or TokenEndpoint(),
        sleep=sleep,
        log=log,
    )
    store.record_run(result.to_dict(), now)
    return result


def _sync(
    config: SyncConfig,
    *,
    tokens: TokenSource,
    reader: SheetReader,
    store: SheetStore,
    now: datetime,
    endpoint: TokenEndpoint,
    sleep: Callable[[float], None],
    log: Any,
) -> SyncResult:
    result = SyncResult(outcome=OK, at=iso(now))
    if not config.spreadsheet_id:
        result.outcome, result.reason = NOT_CONFIGURED, SYNC_OFF
        return result
    try:
        record = tokens.load()
    except Exception as exc:
        return _failed(result, exc)
    if record is None:
        result.outcome, result.reason = NOT_CONFIGURED, "no Google token is stored; run `jada auth google`"
        return result
    result.token_age_days = record.age_days(now)
    result.app_testing = record.is_testing_app(config.app_testing)
    values, failure = _read(
        config, record, reader=reader, endpoint=endpoint, sleep=sleep, result=result, log=log
    )
    if failure is not None and failure.outcome == TOKEN_ERROR:
        # the secret may have been renewed (`jada auth google`) since it was cached: try it once
        fresh = _reload(tokens)
        if fresh is not None and fresh.refresh_token != record.refresh_token:
            result.token_age_days = fresh.age_days(now)
            result.app_testing = fresh.is_testing_app(config.app_testing)
            values, failure = _read(
                config, fresh, reader=reader, endpoint=endpoint, sleep=sleep, result=result, log=log
            )
    if failure is not None:
        return _set_failure(result, failure)

    try:
        parsed = parse_sheet(values, config.key_column)
    except ConfigurationError as exc:
        return _failed(result, exc)
    plan = plan_mirror(parsed, store.stored_rows(), min_fraction=config.min_fraction)
    store.apply(plan, now)
    result.rows = len(parsed.rows)
    result.written, result.tombstoned, result.unchanged = (
        len(plan.upserts),
        len(plan.tombstones),
        plan.unchanged,
    )
    result.quarantined = len(parsed.quarantined)
    result.quarantine = [
        {"row": q.number, "reason": q.reason} for q in parsed.quarantined[:MAX_QUARANTINE_DETAILS]
    ]
    result.suspicious, result.reason = plan.suspicious is not None, plan.suspicious
    return result


def _read(
    config: SyncConfig,
    record: TokenRecord,
    *,
    reader: SheetReader,
    endpoint: TokenEndpoint,
    sleep: Callable[[float], None],
    result: SyncResult,
    log: Any,
) -> tuple[list[list[Any]], Failure | None]:
    """Refresh and read, retrying transient failures within the run."""
    failure: Failure | None = None
    for attempt in range(1, config.attempts + 1):
        result.attempts += 1
        try:
            credentials = record.credentials(config.token_uri)
            refresh(credentials, endpoint)
            return reader.read(credentials, config.spreadsheet_id, config.sheet_range), None
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            if failure.outcome != TRANSIENT_ERROR or attempt == config.attempts:
                return [], failure
            if log is not None:
                log.warning(
                    "sheet sync retrying",
                    extra={
                        "attempt": attempt,
                        "error_code": failure.code,
                        "error_description": failure.description,
                    },
                )
            sleep(config.backoff_seconds * 2 ** (attempt - 1))
    return [], failure


def _reload(tokens: TokenSource) -> TokenRecord | None:
    """The secret read past the cache; a failed re-read keeps the token error being reported."""
    try:
        return tokens.load(force=True)
    except Exception:
        return None


def _failed(result: SyncResult, exc: Exception) -> SyncResult:
    failure = classify(exc)
    if failure is None:
        raise exc
    return _set_failure(result, failure)


def _set_failure(result: SyncResult, failure: Failure) -> SyncResult:
    """Every failed outcome says why in `reason` (the description, else the code)."""
    result.outcome, result.error_code, result.error_description = (
        failure.outcome,
        failure.code,
        failure.description,
    )
    result.reason = failure.description or failure.code
    return result
