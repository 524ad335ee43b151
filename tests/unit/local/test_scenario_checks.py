"""Scenario files: unknown keys named in warnings (known keys derived from the models), values the
task store would refuse later refused up front, and answers that cannot tell two tasks apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jada.models import MAX_PROMPT_CHARS
from jada.settings import declared
from jada_tools.local.scenario import (
    Scenario,
    ScenarioError,
    _Model,
    load_scenario,
    parse_scenario,
    scenario_warnings,
    unknown_keys,
)

BASE = {"start": "2026-05-12T22:00:00Z", "end": "2026-05-13T03:00:00Z"}
AT = "2026-05-12T22:30:00Z"
TOKEN = {"client_id": "a", "client_secret": "b", "refresh_token": "c"}


def task(title: str = "crew page", prompt: str = "Update the crew page.", **extra: Any) -> dict[str, Any]:
    return {"at": AT, "title": title, "prompt": prompt, **extra}


def answer(title: str = "crew page", **extra: Any) -> dict[str, Any]:
    return {"at": AT, "title": title, "answer": "Option B.", **extra}


# --- unknown keys -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "warning"),
    [
        ({"task": [task()]}, "scenario key 'task' is not known (did you mean 'tasks'?)"),
        ({"Answers": []}, "scenario key 'Answers' is not known (did you mean 'answers'?)"),
        ({"sheetSync": {}}, "scenario key 'sheetSync' is not known (did you mean 'sheet_sync'?)"),
        ({"tasks": [task(), task("b", titel="x")]}, "scenario key 'tasks.1.titel' is not known (did you mean "
         "'tasks.1.title'?)"),
        ({"tasks": [task()], "answers": [answer(anwser="B")]}, "scenario key 'answers.0.anwser' is not known "
         "(did you mean 'answers.0.answer'?)"),
        ({"settings": {"sessions_per_dya": 2}}, "scenario key 'settings.sessions_per_dya' is not known (did "
         "you mean 'settings.sessions_per_day'?)"),
        ({"settings": {"turnsPerSession": 9}}, "scenario key 'settings.turnsPerSession' is not known (did "
         "you mean 'settings.turns_per_session'?)"),
        ({"sheet_sync": {"spreadsheet_id": "s", "token": TOKEN, "rnage": "A:B"}}, "scenario key "
         "'sheet_sync.rnage' is not known (did you mean 'sheet_sync.range'?)"),
        ({"sheet_sync": {"spreadsheet_id": "s", "token": {**TOKEN, "expiry": 1}}}, "scenario key "
         "'sheet_sync.token.expiry' is not known"),
        ({"zzz": 1}, "scenario key 'zzz' is not known"),
    ],
)  # fmt: skip
def test_an_unknown_key_at_any_level_is_named_with_a_suggestion(change: dict[str, Any], warning: str) -> None:
    scenario = parse_scenario({**BASE, **change})  # a warning, not an error: the run goes on
    assert scenario_warnings(scenario) == [warning]


def test_a_typo_that_would_run_nothing_still_parses_but_is_named() -> None:
    scenario = parse_scenario({**BASE, "task": [task()]})
    assert scenario.tasks == []
    assert scenario_warnings(scenario)


def test_every_declared_key_is_known() -> None:
    # Given a scenario using every field of every section and every setting
    full = {
        **BASE,
        "description": "all keys",
        "alert_email": "ops@example.com",
        "settings": {spec.name: spec.example for spec in declared() if spec.name != "handoff_margin"},
        "tasks": [task(priority=3)],
        "answers": [answer()],
        "sheet_sync": {
            "spreadsheet_id": "s",
            "range": "P!A:C",
            "token": TOKEN,
            "revoke_at": AT,
            "stop_at": AT,
        },
    }
    # Then nothing is warned about
    assert scenario_warnings(parse_scenario(full)) == []


def test_the_demo_scenario_has_no_unknown_keys() -> None:
    root = Path(__file__).resolve().parents[3]
    assert scenario_warnings(load_scenario(root / "examples/demo.json")) == []


class Site(_Model):
    url: str


class ExtendedScenario(Scenario):
    """A section another feature might add: known because it is a field, walked because it is a model."""

    sites: list[Site] = []


def test_a_new_field_is_known_and_its_section_checked_without_touching_the_check() -> None:
    scenario = ExtendedScenario.model_validate({**BASE, "sites": [{"url": "u"}, {"url": "v", "urll": "w"}]})
    assert list(unknown_keys(scenario)) == [("sites.1.urll", "sites.1.url")]


def test_every_section_keeps_unknown_keys_so_they_can_be_named() -> None:
    # a section that dropped extra keys (extra="ignore") would hide its typos from the warning
    schema = Scenario.model_json_schema()
    sections = [schema, *schema.get("$defs", {}).values()]
    objects = [s for s in sections if s.get("type") == "object"]
    assert len(objects) >= 6
    assert all(s.get("additionalProperties") is True for s in objects), [s.get("title") for s in objects]


# --- values refused up front ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ([task(prompt="   \n\t ")], "tasks.0: the prompt is empty"),
        ([task(prompt="x" * (MAX_PROMPT_CHARS + 1))], f"the prompt has {MAX_PROMPT_CHARS + 1} characters"),
        ([task(title="   ")], "tasks.0.title: must not be blank"),
        ([task(title="t" * 201)], "tasks.0.title"),
        ([task(priority=1000)], "tasks.0.priority"),
    ],
)
def test_a_task_the_store_would_refuse_is_refused_before_the_run(tasks: list[Any], message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario({**BASE, "tasks": tasks})
    assert message in str(err.value)


def test_the_longest_prompt_and_padded_titles_are_accepted() -> None:
    scenario = parse_scenario(
        {**BASE, "tasks": [task(title="  crew page ", prompt="x" * MAX_PROMPT_CHARS)], "answers": [answer()]}
    )
    assert scenario.tasks[0].title == "crew page"  # as the store keeps it, so the answer finds it


def test_a_blank_answer_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"answers\.0\.answer: must not be blank"):
        parse_scenario({**BASE, "tasks": [task()], "answers": [{**answer(), "answer": "  "}]})


# --- answers and duplicate titles ---------------------------------------------------------------
def test_an_answer_naming_a_title_two_tasks_share_is_an_error() -> None:
    tasks = [task(), task("weather brief"), task(" crew page", prompt="Another crew page.")]
    with pytest.raises(ScenarioError) as err:
        parse_scenario({**BASE, "tasks": tasks, "answers": [answer()]})
    assert "answers.0.title 'crew page' matches 2 tasks (tasks.0, tasks.2)" in str(err.value)
    assert "invalid scenario: answers.0.title" in str(err.value)


def test_two_tasks_may_share_a_title_no_answer_names() -> None:
    scenario = parse_scenario({**BASE, "tasks": [task(), task(), task("b")], "answers": [answer("b")]})
    assert len(scenario.tasks) == 3
