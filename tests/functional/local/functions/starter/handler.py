"""Test function: start one execution of the state machine per scheduled time."""

import json
import os

import boto3


def handler(event, context):
    stamp = event["time"].replace(":", "").replace("-", "")
    name = f"run-{stamp}"
    boto3.client("stepfunctions").start_execution(
        stateMachineArn=os.environ["MACHINE"], name=name, input=json.dumps(event)
    )
    return {"started": name}
