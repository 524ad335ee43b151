"""Settings and Resources read from the environment, with errors that name the variable."""

from __future__ import annotations

import pytest
from jada.errors import ConfigurationError
from jada.settings import Resources, Settings


def test_defaults_when_nothing_is_set() -> None:
    s = Settings.from_env({})
    assert (s.sessions_per_day, s.turns_per_session, s.max_sessions_per_task) == (5, 30, 3)
    assert (s.turns_per_batch, s.max_concurrent_sessions, s.handoff_margin) == (5, 2, 5)
    assert s.model == "claude-sonnet-5-5"


def test_values_are_parsed_from_upper_case_variables() -> None:
    s = Settings.from_env(
        {"SESSIONS_PER_DAY": "7", "TURNS_PER_SESSION": "40", "MODEL": "claude-haiku-5-5", "UNRELATED": "x"}
    )
    assert (s.sessions_per_day, s.turns_per_session, s.model) == (7, 40, "claude-haiku-5-5")


def test_lower_case_variables_are_not_read() -> None:
    assert Settings.from_env({"sessions_per_day": "9"}).sessions_per_day == 5


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_SESSIONS_PER_TASK", "4")
    assert Settings.from_env().max_sessions_per_task == 4


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SESSIONS_PER_DAY": "five"}, "SESSIONS_PER_DAY"),
        ({"SESSIONS_PER_DAY": "0"}, "SESSIONS_PER_DAY"),
        ({"TURNS_PER_SESSION": "-3"}, "TURNS_PER_SESSION"),
        ({"TURNS_PER_BATCH": "1.5"}, "TURNS_PER_BATCH"),
        ({"MAX_CONCURRENT_SESSIONS": ""}, "MAX_CONCURRENT_SESSIONS"),
        ({"SESSION_TIMEOUT_SECONDS": "10"}, "SESSION_TIMEOUT_SECONDS"),
    ],
)
def test_a_bad_value_raises_configuration_error_naming_the_variable(
    env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigurationError) as err:
        Settings.from_env(env)
    assert variable in str(err.value)
    assert str(err.value).startswith("invalid configuration")


def test_every_bad_variable_is_named_at_once() -> None:
    with pytest.raises(ConfigurationError) as err:
        Settings.from_env({"SESSIONS_PER_DAY": "x", "RETENTION_DAYS": "0"})
    assert "SESSIONS_PER_DAY" in str(err.value)
    assert "RETENTION_DAYS" in str(err.value)


def test_handoff_margin_is_kept_below_the_turn_limit() -> None:
    assert Settings.from_env({"TURNS_PER_SESSION": "3"}).handoff_margin == 2
    assert Settings.from_env({"TURNS_PER_SESSION": "1"}).handoff_margin == 0
    assert Settings.from_env({"TURNS_PER_SESSION": "30", "HANDOFF_MARGIN": "7"}).handoff_margin == 7


def test_settings_are_frozen() -> None:
    s = Settings.from_env({})
    with pytest.raises(ValueError):
        s.sessions_per_day = 9  # type: ignore[misc]


def test_resources_read_names_and_require_reports_every_missing_one() -> None:
    # Given only the tasks table set
    r = Resources.from_env({"TASKS_TABLE": "jada-tasks"})
    assert r.tasks_table == "jada-tasks"
    r.require("tasks_table")
    # When two missing ones are required, Then both are named
    with pytest.raises(ConfigurationError, match="COUNTERS_TABLE, STATE_MACHINE_ARN"):
        r.require("tasks_table", "counters_table", "state_machine_arn")
