"""Settings and Resources read from the environment, with errors that name the variable."""

from __future__ import annotations

import pytest
from jada.errors import ConfigurationError
from jada.settings import Resources, Settings, SettingSpec, declared


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


# --- each setting declared once: the derived names and the environment path ----------------------
SPECS = declared()
RUNTIME = [s for s in SPECS if s.env_var]


def spec_id(spec: SettingSpec) -> str:
    return spec.name


def test_names_are_derived_from_the_field_name() -> None:
    spec = next(s for s in SPECS if s.name == "max_sessions_per_task")
    assert (spec.context_key, spec.env_var, spec.scenario_key) == (
        "maxSessionsPerTask",
        "MAX_SESSIONS_PER_TASK",
        "settings.max_sessions_per_task",
    )


def test_infra_only_settings_have_no_environment_variable() -> None:
    poll_rate = next(s for s in SPECS if s.name == "poll_rate")
    assert (poll_rate.env_var, poll_rate.functions) == (None, ())
    assert "POLL_RATE" not in Settings.from_env({}).environment("poll")


def test_the_sync_rate_reaches_only_the_turn_batch() -> None:
    # read_port_sheet calls the mirror stale after two sync periods
    env = Settings.from_env({}).environment
    assert env("turn_batch")["SYNC_RATE"] == "30 minutes"
    assert all("SYNC_RATE" not in env(f) for f in ("poll", "session_end", "sheet_sync"))


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_every_setting_has_a_valid_example_other_than_its_default(spec: SettingSpec) -> None:
    default = Settings.model_fields[spec.name].default
    assert spec.example != default
    assert getattr(Settings.model_validate({spec.name: spec.example}), spec.name) == spec.example


@pytest.mark.parametrize("spec", RUNTIME, ids=spec_id)
def test_every_runtime_setting_is_parsed_back_from_its_environment_variable(spec: SettingSpec) -> None:
    # Given the example value as the CDK app writes it into a function's environment
    [function, *_] = spec.functions
    environment = Settings.model_validate({spec.name: spec.example}).environment(function)
    assert set(environment) >= {spec.env_var}
    # When the function reads its settings, Then it gets the example back
    assert getattr(Settings.from_env(environment), spec.name) == spec.example


@pytest.mark.parametrize("function", ["poll", "turn_batch", "session_end", "sheet_sync"])
def test_a_function_gets_exactly_the_settings_it_reads(function: str) -> None:
    expected = {str(s.env_var) for s in RUNTIME if function in s.functions}
    assert set(Settings.from_env({}).environment(function)) == expected
    assert expected  # every function reads at least one setting


def test_values_that_are_not_text_travel_as_json() -> None:
    env = Settings.model_validate({"google_app_testing": False, "sessions_per_day": 9}).environment(
        "sheet_sync"
    )
    assert env["GOOGLE_APP_TESTING"] == "false"
    assert Settings.from_env({"GOOGLE_APP_TESTING": "false"}).google_app_testing is False
    assert Settings.from_env({"GOOGLE_APP_TESTING": "no"}).google_app_testing is False
    # text settings are taken as they are, even when they look like JSON
    assert Settings.from_env({"SPREADSHEET_ID": "123"}).spreadsheet_id == "123"
    assert Settings.from_env({"MODEL": '"quoted"'}).model == '"quoted"'


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"sessions_per_day": "many"}, "SESSIONS_PER_DAY must be a whole number, got 'many'"),
        ({"sessions_per_day": 0}, "SESSIONS_PER_DAY must be at least 1, got 0"),
        ({"turns_per_batch": 101}, "TURNS_PER_BATCH must be at most 100, got 101"),
        ({"google_app_testing": "maybe"}, "GOOGLE_APP_TESTING must be true or false, got 'maybe'"),
        ({"poll_rate": "every minute"}, "POLL_RATE must look like '1 minute'"),
    ],
)
def test_parse_names_each_bad_value_by_the_key_given(values: dict, message: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        Settings.parse(values, key=lambda s: s.name.upper())
    assert message in str(err.value)


@pytest.mark.parametrize("rate", ["1 minute", "5 minutes", "2 hours", "1 day", "10 days"])
def test_rates_accept_scheduler_rates(rate: str) -> None:
    assert Settings.model_validate({"poll_rate": rate}).poll_rate == rate


@pytest.mark.parametrize(
    "rate", ["0 minutes", "01 minute", "1 week", "rate(1 minute)", "1  minute", " 1 minute"]
)
def test_rates_refuse_anything_else(rate: str) -> None:
    with pytest.raises(ValueError, match="must look like '1 minute'"):
        Settings.model_validate({"sync_rate": rate})


def test_settings_with_list_values_stay_hashable_and_equal_by_value() -> None:
    a = Settings.from_env({"SERVER_TOOLS": '["web_search"]', "MCP_SERVERS": "[]"})
    b = Settings(server_tools=["web_search"])
    assert a == b
    assert hash(a) == hash(b) != hash(Settings())
    assert {a: 1}[b] == 1
