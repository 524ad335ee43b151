"""The scenario's own events, put on the simulator: tasks arriving, the operator answering
blocked tasks, and the offline Google stand-in going silent (`sheet_sync.stop_at`) and coming
back (`sheet_sync.restore_at`)."""

from __future__ import annotations

from functools import partial
from typing import Any

from jada_tools.local.engine import CONTROL, INPUT, Simulator
from jada_tools.local.observers import Timeline, task_store
from jada_tools.local.scenario import Scenario, ScenarioAnswer, ScenarioTask


class ScenarioInputs:
    def __init__(self, sim: Simulator, timeline: Timeline, google: Any = None) -> None:
        self.sim = sim
        self.timeline = timeline
        self.google = google
        #: task ids by title, as the tasks arrive (answers name their task by title)
        self.task_ids: dict[str, str] = {}

    def add(self, scenario: Scenario) -> None:
        for task in scenario.tasks:
            self.sim.at(task.at, partial(self.arrive, task), INPUT)
        for answer in scenario.answers:
            self.sim.at(answer.at, partial(self.answer, answer), INPUT)
        sync = scenario.sheet_sync
        if self.google is not None and sync is not None and sync.stop_at is not None:
            self.sim.at(sync.stop_at, self.stop_google, CONTROL)
        if self.google is not None and sync is not None and sync.restore_at is not None:
            self.sim.at(sync.restore_at, self.restore_google, CONTROL)

    def arrive(self, task: ScenarioTask) -> None:
        from jada.orchestration import operator

        store, now = task_store(self.sim.deployment), self.sim.clock.now
        created = operator.add(store, task.prompt, now, title=task.title, priority=task.priority)
        self.task_ids.setdefault(task.title, created.task_id)
        self.timeline.log("task", f"queued '{task.title}' ({created.task_id})")

    def answer(self, answer: ScenarioAnswer) -> None:
        from jada.errors import JadaError
        from jada.orchestration import operator

        task_id = self.task_ids.get(answer.title)
        if task_id is None:
            self.timeline.log(
                "answer", f"answer for '{answer.title}' not applied: the task is not queued yet"
            )
            return
        try:
            operator.unblock(task_store(self.sim.deployment), task_id, answer.answer, self.sim.clock.now)
        except JadaError as exc:
            self.timeline.log("answer", f"answer for '{answer.title}' not applied: {exc}")
            return
        self.timeline.log("answer", f"operator answered '{answer.title}': {answer.answer}")

    def restore_google(self) -> None:
        self.google.reauthorize()
        self.timeline.log(
            "google", "the Google stand-in answers again and the token works (sheet_sync.restore_at)"
        )

    def stop_google(self) -> None:
        self.google.token_mode = "drop"  # noqa: S105 - a fake's mode, not a secret
        self.timeline.log("google", "the Google token endpoint stops answering (scenario sheet_sync.stop_at)")
