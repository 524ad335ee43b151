"""The report of a local run (format: docs/contracts.md, "Report"; extra fields welcome)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from jada.models import Task


def task_entry(task: Task) -> dict[str, Any]:
    return {
        "id": task.task_id,
        "title": task.title,
        "status": task.status.value,
        "parent_id": task.parent_id,
        "handoff_note": task.handoff_note,
        "summary": task.summary,
        "blocked_reason": task.blocked_reason,
        "failure_reason": task.failure_reason,
        "answers": [a.model_dump() for a in task.answers],
        "children": list(task.children),
        "created_at": task.created_at,
        "sessions": [
            {
                "execution": s.execution,
                "started_at": s.started_at,
                "ended_at": s.ended_at,
                "turns": s.turns,
                "outcome": s.outcome.value if s.outcome else None,
            }
            for s in task.session_list()
        ],
    }


def sessions_by_day(tasks: list[Task]) -> dict[str, int]:
    days = Counter(s.started_at[:10] for t in tasks for s in t.session_list())
    return dict(sorted(days.items()))


def write_report(report: dict[str, Any], path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return target
