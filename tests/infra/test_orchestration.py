"""The synthesized orchestration: functions, roles, state machine, schedule, secret, alarms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jada.errors import FATAL_ERRORS, RETRYABLE_ERRORS
from jada.telemetry import NAMESPACE, M
from jada_tools.local.provision import Provisioner, function_from_folder, resources_of_type
from statelint.config import Config
from statelint.linter import Linter
from statelint.problem import ProblemType

from tests.infra.conftest import only


@pytest.fixture(scope="module")
def tpl(app_template: dict[str, Any]) -> dict[str, Any]:
    # (cdk-nag findings on the whole app are tests/infra/test_app.py's concern)
    return app_template


@pytest.fixture(scope="module")
def definition(tpl: dict[str, Any]) -> dict[str, Any]:
    """The state machine's definition with its references resolved, as it is deployed."""
    machine, _ = only(tpl, "AWS::StepFunctions::StateMachine")
    result: dict[str, Any] = json.loads(Provisioner(tpl).definition(machine))
    return result


def fn(tpl: dict[str, Any], folder: str) -> dict[str, Any]:
    return tpl["Resources"][function_from_folder(tpl, folder)]["Properties"]


def policy_statements(tpl: dict[str, Any], folder: str) -> list[dict[str, Any]]:
    role = fn(tpl, folder)["Role"]["Fn::GetAtt"][0]
    found: list[dict[str, Any]] = []
    for policy in resources_of_type(tpl, "AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def actions(tpl: dict[str, Any], folder: str) -> set[str]:
    result: set[str] = set()
    for st in policy_statements(tpl, folder):
        result |= set(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    return result


def test_definition_passes_statelint(definition: dict[str, Any]) -> None:
    # FLOAT only flags `BackoffRate: 2` written without ".0" (JSON has one number type; AWS accepts it)
    assert Linter.validate(definition, Config({ProblemType.FLOAT})) == []


def test_states_read_clearly_and_loop_on_continue(definition: dict[str, Any]) -> None:
    states = definition["States"]
    assert definition["StartAt"] == "Run turn batch"
    assert set(states) == {
        "Run turn batch", "Batch status?", "End session", "Session ended",
        "Record session failure", "Session failed",
    }  # fmt: skip
    choice = states["Batch status?"]
    assert choice["Choices"] == [
        {"Variable": "$.status", "StringEquals": "continue", "Next": "Run turn batch"}
    ]
    assert choice["Default"] == "End session"
    # payloads stay small: only the Lambda's own payload is kept
    assert states["Run turn batch"]["OutputPath"] == "$.Payload"


def test_retry_backs_off_with_full_jitter_only_on_retryable_errors(definition: dict[str, Any]) -> None:
    batch = definition["States"]["Run turn batch"]
    [model] = [r for r in batch["Retry"] if "ModelRateLimited" in r["ErrorEquals"]]
    assert sorted(model["ErrorEquals"]) == sorted(RETRYABLE_ERRORS)
    assert model["JitterStrategy"] == "FULL"
    assert model["BackoffRate"] == 2
    assert model["MaxDelaySeconds"] > 0
    retried = {e for r in batch["Retry"] for e in r["ErrorEquals"]}
    assert "Lambda.ServiceException" in retried
    assert "Lambda.TooManyRequestsException" in retried
    assert "Lambda.Unknown" in retried  # a batch that timed out or ran out of memory runs again
    assert not retried & set(FATAL_ERRORS)
    assert "States.ALL" not in retried
    [catch] = batch["Catch"]
    assert catch == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Record session failure"}
    assert definition["States"]["Record session failure"]["Next"] == "Session failed"


def test_state_machine_has_timeout_logging_and_tracing(
    tpl: dict[str, Any], definition: dict[str, Any]
) -> None:
    _, machine = only(tpl, "AWS::StepFunctions::StateMachine")
    props = machine["Properties"]
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert definition["TimeoutSeconds"] == 3 * 3600


def test_poll_goes_without_the_dependency_layer(tpl: dict[str, Any]) -> None:
    assert len(fn(tpl, "poll")["Layers"]) == 2
    assert len(fn(tpl, "session_end")["Layers"]) == 2
    assert len(fn(tpl, "turn_batch")["Layers"]) == 3
    assert fn(tpl, "turn_batch")["Timeout"] == 300
    assert fn(tpl, "turn_batch")["MemorySize"] == 512


def test_function_environments(tpl: dict[str, Any]) -> None:
    poll = fn(tpl, "poll")["Environment"]["Variables"]
    assert {
        "TASKS_TABLE",
        "COUNTERS_TABLE",
        "STATE_MACHINE_ARN",
        "SESSIONS_PER_DAY",
        "MAX_CONCURRENT_SESSIONS",
    } <= set(poll)
    assert "ANTHROPIC_SECRET_ID" in fn(tpl, "turn_batch")["Environment"]["Variables"]
    assert "ALERT_TOPIC_ARN" in fn(tpl, "session_end")["Environment"]["Variables"]
    assert "ANTHROPIC_SECRET_ID" not in poll


def test_each_function_has_least_privilege(tpl: dict[str, Any]) -> None:
    roles = {fn(tpl, f)["Role"]["Fn::GetAtt"][0] for f in ("poll", "turn_batch", "session_end")}
    assert len(roles) == 3
    assert "states:StartExecution" in actions(tpl, "poll")
    assert not any(a.startswith("secretsmanager:") for a in actions(tpl, "poll"))
    assert not any(a.startswith("s3:") for a in actions(tpl, "poll"))
    assert "sns:Publish" in actions(tpl, "session_end")
    assert "secretsmanager:GetSecretValue" in actions(tpl, "turn_batch")
    assert not any(a.startswith("secretsmanager:") for a in actions(tpl, "session_end"))
    # the tables each role reaches: only what its code uses
    counters = only(tpl, "AWS::DynamoDB::Table", "StateCounters")[0]
    checkpoints = only(tpl, "AWS::DynamoDB::Table", "StateCheckpoints")[0]
    assert counters in json.dumps(policy_statements(tpl, "poll"))
    # the turn batch writes the spend counters only (keys spend#..., spent#...), in a transaction
    [spend] = [s for s in policy_statements(tpl, "turn_batch") if counters in json.dumps(s)]
    assert sorted(spend["Action"]) == [
        "dynamodb:ConditionCheckItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    assert spend["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["spend#*", "spent#*"]}}
    assert checkpoints not in json.dumps(policy_statements(tpl, "poll"))
    # session end settles a task's history: re-stamps or drops its turns, hides its objects
    reaching = [st for st in policy_statements(tpl, "session_end") if checkpoints in json.dumps(st)]
    assert [sorted(st["Action"]) for st in reaching] == [
        ["dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:UpdateItem"]
    ]
    s3_actions = {a for a in actions(tpl, "session_end") if a.startswith("s3:")}
    assert s3_actions == {"s3:DeleteObject", "s3:ListBucket"}  # never reads, never erases a version


def test_anthropic_secret_has_no_key_in_the_template(tpl: dict[str, Any]) -> None:
    _, secret = only(tpl, "AWS::SecretsManager::Secret", "OrchestrationAnthropic")
    props = secret["Properties"]
    assert "GenerateSecretString" not in props
    assert json.loads(props["SecretString"]) == {"api_key": ""}
    outputs = tpl["Outputs"]
    assert {"StateMachineArn", "PollFunctionName", "AnthropicSecretArn"} <= set(outputs)


def test_poll_schedule_carries_the_scheduled_time_and_a_dead_letter_queue(tpl: dict[str, Any]) -> None:
    _, schedule = only(tpl, "AWS::Scheduler::Schedule", "OrchestrationPoll")
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "rate(1 minute)"
    target = props["Target"]
    assert json.loads(target["Input"]) == {"scheduled_time": "<aws.scheduler.scheduled-time>"}
    assert target["Arn"] == {"Fn::GetAtt": [function_from_folder(tpl, "poll"), "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    dlq_id = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert tpl["Resources"][dlq_id]["Properties"]["SqsManagedSseEnabled"] is True
    tls = [
        st for p in resources_of_type(tpl, "AWS::SQS::QueuePolicy").values()
        if {"Ref": dlq_id} in p["Properties"]["Queues"]
        for st in p["Properties"]["PolicyDocument"]["Statement"]
    ]  # fmt: skip
    assert any(st["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(st) for st in tls)


def alarms(tpl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Alarm properties by alarm name (a name built with intrinsics resolved, as deployed)."""
    resolved = Provisioner(tpl)
    found = resources_of_type(tpl, "AWS::CloudWatch::Alarm")
    return {resolved.props(lid)["AlarmName"]: r["Properties"] for lid, r in found.items()}


def test_alarms_watch_the_emitted_metrics_and_say_what_to_do(tpl: dict[str, Any]) -> None:
    found = {name.removeprefix("Jada-"): props for name, props in alarms(tpl).items()}
    # one alarm per incident (a failed task emails by itself); no sync alarms without a sheet
    assert set(found) == {
        "ModelAuthFailed", "SpendLimitReached", "PollHeartbeatMissing", "SessionEndErrors",
        "ScheduleDeadLetters",
    }  # fmt: skip
    watched = {
        "ModelAuthFailed": M.MODEL_AUTH_FAILED,
        "SpendLimitReached": M.SPEND_LIMIT_REACHED,
        "PollHeartbeatMissing": M.POLL_HEARTBEAT,
    }
    for name, metric in watched.items():
        props = found[name]
        assert (props["Namespace"], props["MetricName"]) == (NAMESPACE, metric)
        assert props["Dimensions"] == [{"Name": "service", "Value": "jada"}]
        assert "jada" in props["AlarmDescription"] or "console" in props["AlarmDescription"]
        assert len(props["AlarmActions"]) == 1
        assert len(props["OKActions"]) == 1
    heartbeat = found["PollHeartbeatMissing"]
    assert heartbeat["TreatMissingData"] == "breaching"
    assert heartbeat["ComparisonOperator"] == "LessThanThreshold"
    assert found["ModelAuthFailed"]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert found["ModelAuthFailed"]["Threshold"] == 1
    errors = found["SessionEndErrors"]
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
    assert errors["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": function_from_folder(tpl, "session_end")}}
    ]
    assert found["ScheduleDeadLetters"]["MetricName"] == "ApproximateNumberOfMessagesVisible"


def test_the_poll_records_no_traces_of_its_own(tpl: dict[str, Any]) -> None:
    # a trace of an idle Query says nothing and costs a trace a minute: traced only when the caller
    # sampled the request (the schedule never does); the session's functions keep active tracing
    assert fn(tpl, "poll")["TracingConfig"] == {"Mode": "PassThrough"}
    assert fn(tpl, "turn_batch")["TracingConfig"] == {"Mode": "Active"}
    assert fn(tpl, "session_end")["TracingConfig"] == {"Mode": "Active"}


def test_the_budget_reaches_the_poll_and_session_end(tpl: dict[str, Any]) -> None:
    for folder in ("poll", "session_end"):
        assert fn(tpl, folder)["Environment"]["Variables"]["MONTHLY_BUDGET_USD"] == "0.0"
    assert "MONTHLY_BUDGET_USD" not in fn(tpl, "turn_batch")["Environment"]["Variables"]


def test_executions_ending_without_their_end_step_reach_session_end(tpl: dict[str, Any]) -> None:
    _, rule = only(tpl, "AWS::Events::Rule", "OrchestrationExecutionEnded")
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.states"]
    assert sorted(pattern["detail"]["status"]) == ["ABORTED", "FAILED", "TIMED_OUT"]
    [target] = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_from_folder(tpl, "session_end"), "Arn"]}
    assert "DeadLetterConfig" in target
