"""Provision a synthesized CloudFormation template into moto (already active) and describe it.

Physical names are derived from logical ids (`Jada-<LogicalId>`) unless the template names them.
Resources the local cloud does not need (log groups, layers, policies) are only given names.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from jada_tools.local.intrinsics import ACCOUNT, Resolver

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass
class LocalFunction:
    logical_id: str
    name: str
    arn: str
    folder: Path | None
    handler: str
    environment: dict[str, str]
    timeout: int

    @property
    def folder_name(self) -> str | None:
        """The source folder it is built from (`functions/<folder_name>`), if the template says."""
        return self.folder.name if self.folder is not None else None

    @property
    def handler_file(self) -> Path | None:
        """The source file its `Handler` setting names (`module.function`), if the folder is known."""
        if self.folder is None:
            return None
        module = self.handler.rpartition(".")[0] or "handler"
        return self.folder / f"{module.replace('.', '/')}.py"


@dataclass
class Schedule:
    logical_id: str
    name: str
    expression: str
    every_seconds: int
    target_arn: str
    input_template: str | None
    enabled: bool


@dataclass
class Alarm:
    logical_id: str
    name: str
    properties: dict[str, Any]


@dataclass
class Deployment:
    region: str
    template: dict[str, Any]
    functions: dict[str, LocalFunction] = field(default_factory=dict)
    state_machines: dict[str, str] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    topics: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    #: the template's Outputs with every reference resolved (what `describe_stacks` would list)
    outputs: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def function_by_arn(self, arn: str) -> LocalFunction | None:
        for fn in self.functions.values():
            if arn in (fn.arn, fn.name) or arn.startswith(fn.arn + ":"):
                return fn
        return None

    def function_by_folder(self, folder: str) -> LocalFunction | None:
        return next((fn for fn in self.functions.values() if fn.folder_name == folder), None)


def resources_of_type(template: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one type, by logical id."""
    return {lid: r for lid, r in template.get("Resources", {}).items() if r["Type"] == rtype}


def function_from_folder(template: dict[str, Any], folder: str) -> str:
    """The logical id of the one function whose code asset is the folder `folder` (needs asset
    metadata: synthesize with `aws:cdk:enable-asset-metadata`)."""
    found = [
        lid
        for lid, r in resources_of_type(template, "AWS::Lambda::Function").items()
        if Path(r.get("Metadata", {}).get("aws:asset:path", "")).name == folder
    ]
    if len(found) != 1:
        raise LookupError(f"expected one function built from {folder}/, found {found}")
    return found[0]


def rate_seconds(expression: str) -> int:
    match = _RATE.match(expression.strip())
    if not match:
        raise ValueError(f"the local cloud fires rate() schedules only, got {expression!r}")
    amount, unit = int(match.group(1)), match.group(2).rstrip("s")
    return amount * _UNIT[unit]


def _names(lid: str, rtype: str, props: dict[str, Any], region: str) -> tuple[Any, dict[str, Any]]:
    """(Ref value, {attribute: value}) for a resource, computed before it exists."""
    base = f"Jada-{lid}"
    arn = f"arn:aws:{{svc}}:{region}:{ACCOUNT}:"
    if rtype == "AWS::DynamoDB::Table":
        name = props.get("TableName", base)
        return name, {"Arn": arn.format(svc="dynamodb") + f"table/{name}", "StreamArn": ""}
    if rtype == "AWS::S3::Bucket":
        name = props.get("BucketName", f"jada-{lid.lower()}")
        return name, {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com",
                      "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com"}  # fmt: skip
    if rtype == "AWS::SNS::Topic":
        name = props.get("TopicName", base)
        topic_arn = arn.format(svc="sns") + name
        return topic_arn, {"TopicName": name, "TopicArn": topic_arn}
    if rtype == "AWS::SQS::Queue":
        name = props.get("QueueName", base)
        url = f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{name}"
        return url, {"Arn": arn.format(svc="sqs") + name, "QueueName": name, "QueueUrl": url}
    if rtype == "AWS::SecretsManager::Secret":
        name = props.get("Name", base)  # Secrets Manager takes the name wherever it takes the ARN
        return name, {"Id": name}
    if rtype == "AWS::Lambda::Function":
        name = props.get("FunctionName", base)
        return name, {"Arn": arn.format(svc="lambda") + f"function:{name}"}
    if rtype == "AWS::IAM::Role":
        name = props.get("RoleName", base)
        return name, {"Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "RoleId": f"AROA{lid[:12].upper()}"}
    if rtype == "AWS::StepFunctions::StateMachine":
        name = props.get("StateMachineName", base)
        sm_arn = arn.format(svc="states") + f"stateMachine:{name}"
        return sm_arn, {"Name": name, "Arn": sm_arn}
    if rtype == "AWS::Logs::LogGroup":
        name = props.get("LogGroupName", f"/jada/{lid}")
        return name, {"Arn": arn.format(svc="logs") + f"log-group:{name}:*"}
    if rtype == "AWS::CloudWatch::Alarm":
        name = props.get("AlarmName", base)
        return name, {"Arn": arn.format(svc="cloudwatch") + f"alarm:{name}"}
    if rtype == "AWS::Lambda::LayerVersion":
        return arn.format(svc="lambda") + f"layer:{lid}:1", {}
    if rtype == "AWS::Scheduler::Schedule":
        name = props.get("Name", base)
        return name, {"Arn": arn.format(svc="scheduler") + f"schedule/default/{name}"}
    return f"{base}-ref", {"Arn": f"arn:aws:local:{region}:{ACCOUNT}:{lid}"}


class Provisioner:
    def __init__(self, template: dict[str, Any], region: str = "us-east-1") -> None:
        self.template = template
        self.region = region
        self.resources: dict[str, dict[str, Any]] = template.get("Resources", {})
        refs: dict[str, Any] = {}
        attrs: dict[tuple[str, str], Any] = {}
        for lid, res in self.resources.items():
            props = res.get("Properties", {})
            ref, named = _names(lid, res["Type"], props if _plain(props) else {}, region)
            refs[lid] = ref
            attrs.update({(lid, a): v for a, v in named.items()})
        params = {k: _parameter(k, v) for k, v in template.get("Parameters", {}).items()}
        self.resolver = Resolver(region, refs, attrs, params, attr_fallback=self._fallback)

    def _fallback(self, lid: str, attribute: str) -> str:
        return f"arn:aws:local:{self.region}:{ACCOUNT}:{lid}/{attribute}"

    def props(self, lid: str) -> dict[str, Any]:
        return dict(self.resolver.resolve(self.resources[lid].get("Properties", {})))

    def of_type(self, rtype: str) -> list[str]:
        return list(resources_of_type(self.template, rtype))

    def definition(self, lid: str) -> str:
        """A state machine's definition (JSON text) with every reference resolved."""
        p = self.props(lid)
        definition = p.get("DefinitionString")
        if definition is None:
            definition = json.dumps(p["Definition"])
        for key, value in (p.get("DefinitionSubstitutions") or {}).items():
            definition = definition.replace("${" + key + "}", str(value))
        return str(definition)

    def run(self) -> Deployment:
        dep = Deployment(region=self.region, template=self.template)
        client = _Clients(self.region)
        for lid in self.of_type("AWS::IAM::Role"):
            p = self.props(lid)
            client("iam").create_role(
                RoleName=self.resolver.refs[lid],
                AssumeRolePolicyDocument=json.dumps(p.get("AssumeRolePolicyDocument", {})),
            )
        for lid in self.of_type("AWS::DynamoDB::Table"):
            dep.tables[lid] = self._table(client("dynamodb"), lid)
        for lid in self.of_type("AWS::S3::Bucket"):
            self._bucket(client("s3"), lid)
        for lid in self.of_type("AWS::SQS::Queue"):
            client("sqs").create_queue(QueueName=self.resolver.attrs[(lid, "QueueName")])
        for lid in self.of_type("AWS::SNS::Topic"):
            name = self.resolver.attrs[(lid, "TopicName")]
            dep.topics[lid] = client("sns").create_topic(Name=name)["TopicArn"]
        for lid in self.of_type("AWS::SNS::Subscription"):
            p = self.props(lid)
            client("sns").subscribe(TopicArn=p["TopicArn"], Protocol=p["Protocol"], Endpoint=p["Endpoint"])
        for lid in self.of_type("AWS::SecretsManager::Secret"):
            dep.secrets[lid] = self._secret(client("secretsmanager"), lid)
        for lid in self.of_type("AWS::Lambda::Function"):
            dep.functions[lid] = self._function(client("lambda"), lid)
        for lid in self.of_type("AWS::StepFunctions::StateMachine"):
            dep.state_machines[lid] = self._state_machine(client("stepfunctions"), lid)
        for lid in self.of_type("AWS::Scheduler::Schedule"):
            dep.schedules.append(self._schedule(lid))
        for lid in self.of_type("AWS::CloudWatch::Alarm"):
            alarm = Alarm(lid, self.resolver.refs[lid], self.props(lid))
            alarm.properties["AlarmName"] = alarm.name
            dep.alarms.append(alarm)
        for name, output in self.template.get("Outputs", {}).items():
            dep.outputs[name] = str(self.resolver.resolve(output.get("Value", "")))
        handled = {"AWS::IAM::Role", "AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue",
                   "AWS::SNS::Topic", "AWS::SNS::Subscription", "AWS::SecretsManager::Secret",
                   "AWS::Lambda::Function", "AWS::StepFunctions::StateMachine", "AWS::Scheduler::Schedule",
                   "AWS::CloudWatch::Alarm"}  # fmt: skip
        dep.skipped = sorted({r["Type"] for r in self.resources.values()} - handled)
        return dep

    def _table(self, ddb: Any, lid: str) -> str:
        p = self.props(lid)
        name = self.resolver.refs[lid]
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": p["KeySchema"],
            "AttributeDefinitions": p["AttributeDefinitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if p.get("GlobalSecondaryIndexes"):
            kwargs["GlobalSecondaryIndexes"] = [
                {k: v for k, v in gsi.items() if k in {"IndexName", "KeySchema", "Projection"}}
                for gsi in p["GlobalSecondaryIndexes"]
            ]
        ddb.create_table(**kwargs)
        return str(name)

    def _bucket(self, s3: Any, lid: str) -> None:
        """A bucket, versioned when the template says so (a delete leaves a marker, as in AWS)."""
        name = self.resolver.refs[lid]
        s3.create_bucket(Bucket=name)
        versioning = self.props(lid).get("VersioningConfiguration")
        if versioning:  # the checkpoint bucket: a delete leaves a marker, as in AWS
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=versioning)

    def _secret(self, sm: Any, lid: str) -> str:
        p = self.props(lid)
        name = self.resolver.refs[lid]
        value = p.get("SecretString") or json.dumps({"placeholder": "set by the local cloud"})
        sm.create_secret(Name=name, SecretString=value)
        return str(name)

    def _function(self, lam: Any, lid: str) -> LocalFunction:
        p = self.props(lid)
        meta = self.resources[lid].get("Metadata", {})
        folder = Path(meta["aws:asset:path"]) if meta.get("aws:asset:path") else None
        env = {k: str(v) for k, v in (p.get("Environment", {}).get("Variables") or {}).items()}
        name = self.resolver.refs[lid]
        lam.create_function(
            FunctionName=name,
            Runtime=p.get("Runtime", "python3.13"),
            Role=p["Role"],
            Handler=p.get("Handler", "handler.handler"),
            Code={"ZipFile": _zip(folder)},
            Timeout=int(p.get("Timeout", 3)),
            MemorySize=int(p.get("MemorySize", 128)),
            Environment={"Variables": env},
        )
        return LocalFunction(
            logical_id=lid,
            name=name,
            arn=self.resolver.attrs[(lid, "Arn")],
            folder=folder,
            handler=p.get("Handler", "handler.handler"),
            environment=env,
            timeout=int(p.get("Timeout", 3)),
        )

    def _state_machine(self, sfn: Any, lid: str) -> str:
        p = self.props(lid)
        arn = sfn.create_state_machine(
            name=self.resolver.attrs[(lid, "Name")],
            definition=self.definition(lid),
            roleArn=p.get("RoleArn", f"arn:aws:iam::{ACCOUNT}:role/local"),
            type=p.get("StateMachineType", "STANDARD"),
        )["stateMachineArn"]
        return str(arn)

    def _schedule(self, lid: str) -> Schedule:
        p = self.props(lid)
        target = p["Target"]
        expression = p["ScheduleExpression"]
        return Schedule(
            logical_id=lid,
            name=self.resolver.refs[lid],
            expression=expression,
            every_seconds=rate_seconds(expression),
            target_arn=target["Arn"],
            input_template=target.get("Input"),
            enabled=p.get("State", "ENABLED") == "ENABLED",
        )


class _Clients:
    def __init__(self, region: str) -> None:
        self.region = region
        self.cache: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self.cache:
            self.cache[service] = boto3.client(service, region_name=self.region)  # type: ignore[call-overload]
        return self.cache[service]


def _plain(props: dict[str, Any]) -> bool:
    """Names given as plain strings only (intrinsic names are rare in CDK output)."""
    return all(not isinstance(v, dict) for v in props.values() if not isinstance(v, list))


def _parameter(name: str, spec: dict[str, Any]) -> Any:
    default = spec.get("Default", "")
    if name == "BootstrapVersion":
        return "30"
    if str(spec.get("Type", "")).startswith("AWS::SSM::Parameter"):
        return f"local-ssm:{default}"
    return default


def _zip(folder: Path | None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if folder is not None and folder.is_dir():
            for path in sorted(folder.rglob("*.py")):
                if "__pycache__" not in path.parts:
                    archive.write(path, path.relative_to(folder).as_posix())
        else:
            archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def provision(template: dict[str, Any], region: str = "us-east-1") -> Deployment:
    return Provisioner(template, region).run()
