"""A small hand-written template exercising the local cloud's engine without the jada app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FUNCTIONS = Path(__file__).parent / "functions"
DEFINITION = (
    '{"StartAt":"Pause","States":{'
    '"Pause":{"Type":"Wait","Seconds":600,"Next":"Work"},'
    '"Work":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",'
    '"Parameters":{"FunctionName":"%s","Payload.$":"$"},"OutputPath":"$.Payload",'
    '"Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":30,"MaxAttempts":2}],"End":true}}}'
)


def _function(folder: str, env: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Handler": "handler.handler",
            "Runtime": "python3.13",
            "Timeout": 30,
            "Environment": {"Variables": env},
        },
        "Metadata": {"aws:asset:path": str(FUNCTIONS / folder)},
    }


def template(
    rate: str = "rate(30 minutes)", wait_seconds: int = 600, *, flaky: bool = False
) -> dict[str, Any]:
    head, tail = (DEFINITION.replace("600", str(wait_seconds))).split("%s")
    return {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "Mail": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "TopicArn": {"Ref": "Topic"},
                    "Protocol": "email",
                    "Endpoint": "ops@example.com",
                },
            },
            "Starter": _function("starter", {"MACHINE": {"Ref": "Machine"}}),
            "Worker": _function("worker", {}),
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                    "DefinitionString": {"Fn::Join": ["", [head, {"Fn::GetAtt": ["Worker", "Arn"]}, tail]]},
                },
            },
            "Every": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "ScheduleExpression": rate,
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": {
                        "Arn": {"Fn::GetAtt": ["Starter", "Arn"]},
                        "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                        "Input": json.dumps({"time": "<aws.scheduler.scheduled-time>", "flaky": flaky}),
                    },
                },
            },
            "WorkAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmName": "work-seen",
                    "AlarmDescription": "Runbook: work happened; nothing to do.",
                    "Namespace": "Test",
                    "MetricName": "Work",
                    "Dimensions": [{"Name": "service", "Value": "test"}],
                    "Statistic": "Sum",
                    "Period": 60,
                    "EvaluationPeriods": 1,
                    "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "TreatMissingData": "notBreaching",
                    "AlarmActions": [{"Ref": "Topic"}],
                    "OKActions": [{"Ref": "Topic"}],
                },
            },
        }
    }
