"""An operator's stop is not an incident: no alarm of the stack watches what a stop emits."""

from __future__ import annotations

from typing import Any

from jada.telemetry import M

from tests.infra.test_orchestration import alarms


def watched_metrics(props: dict[str, Any]) -> set[str]:
    names = {props["MetricName"]} if "MetricName" in props else set()
    for query in props.get("Metrics", []):  # metric-math alarms
        metric = query.get("MetricStat", {}).get("Metric", {})
        if "MetricName" in metric:
            names.add(metric["MetricName"])
    return names


def test_no_alarm_watches_what_an_operator_stop_emits(app_template: dict[str, Any]) -> None:
    found = alarms(app_template)
    watched = set().union(*(watched_metrics(p) for p in found.values()))
    # the helper does see the session alarms (a failed task is emailed by session end, not an alarm)
    assert M.SPEND_LIMIT_REACHED in watched
    assert watched.isdisjoint({"ExecutionsFailed", M.TASK_FAILED})
    # a stop: the execution ends ABORTED, session end emits SessionStopped and TaskSuspended
    assert watched.isdisjoint({"ExecutionsAborted", M.SESSION_STOPPED, M.TASK_SUSPENDED})
