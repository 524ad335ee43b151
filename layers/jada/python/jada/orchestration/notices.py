"""The emails jada sends itself (besides CloudWatch's alarm emails), through the alert topic:
a task blocked, a task failed, the monthly budget at 80% and at 100%.

Subjects start with `jada: ` (filterable), are ASCII and under 100 characters (SNS's rules);
message attributes say the kind (`task_blocked`, `task_failed`, `budget`) and the task id.
"""

from __future__ import annotations

from typing import Any

from jada.lifecycle import BUDGET_EXHAUSTED
from jada.models import Task
from jada.telemetry import logger

#: SNS messages are capped at 256 KB; whole notes stay on the task (`jada tasks show`)
NOTE_LIMIT = 20_000


def subject_title(title: str, limit: int = 70) -> str:
    """A title fit for an SNS subject: one line, ASCII only, at most `limit` characters."""
    text = " ".join(title.split()).encode("ascii", "replace").decode()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clip_note(note: str | None, limit: int = NOTE_LIMIT) -> str | None:
    if note is None or len(note) <= limit:
        return note
    return note[:limit] + "\n... (cut; the whole note: jada tasks show)"


def blocked_message(task: Task, reason: str) -> tuple[str, str]:
    """Subject and body of the blocked-task email (subject filterable on `jada: task blocked`)."""
    subject = f"jada: task blocked: {subject_title(task.title)}"
    body = "\n".join(
        [
            f"The agent needs a human to continue task {task.task_id}.",
            "",
            f"Title: {task.title}",
            f"Reason: {reason}",
            "",
            "Handoff note:",
            clip_note(task.handoff_note) or "(none saved)",
            "",
            "Answer it (the agent resumes from its checkpoint with your answer):",
            f'  jada tasks unblock {task.task_id} --answer "..."',
            "or give the answer in a file:",
            f"  jada tasks unblock {task.task_id} --answer-file answer.txt",
            "",
            f"Details: jada tasks show {task.task_id}",
        ]
    )
    return subject, body


def failed_message(task: Task, reason: str, max_sessions: int) -> tuple[str, str]:
    """Subject and body of the failed-task email (subject filterable on `jada: task failed`)."""
    subject = f"jada: task failed: {subject_title(task.title)}"
    sessions = task.session_list()
    last = sessions[-1] if sessions else None
    lines = [
        f"Task {task.task_id} failed.",
        "",
        f"Title: {task.title}",
        f"Reason: {reason}",
    ]
    if last is not None:
        lines.append(f"Last session: {last.execution} ({len(sessions)} session(s) so far)")
    if reason == BUDGET_EXHAUSTED:
        lines += [
            "",
            f"It used its {max_sessions} sessions without finishing. A retry grants {max_sessions} more "
            "(or raise maxSessionsPerTask); each resumes from the handoff note.",
        ]
    lines += [
        "",
        "Handoff note:",
        clip_note(task.handoff_note) or "(none saved)",
        "",
        "See what happened (sessions, reasons, execution links):",
        f"  jada tasks show {task.task_id}",
        "Run it again once the cause is fixed:",
        f"  jada tasks retry {task.task_id}",
    ]
    return subject, "\n".join(lines)


def publish(sns: Any, topic_arn: str, subject: str, body: str, **attributes: str) -> bool:
    """Publish to the alert topic; False (and a warning) when the deployment has none."""
    if not topic_arn:
        logger().warning("no ALERT_TOPIC_ARN: not emailed: %s", subject)
        return False
    sns.publish(
        TopicArn=topic_arn,
        Subject=subject,
        Message=body,
        MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
    )
    return True
