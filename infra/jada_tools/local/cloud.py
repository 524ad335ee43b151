"""`jada local run`: synthesize, emulate in moto, simulate the scenario's window, build the report."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from jada.clock import iso
from jada.telemetry import NAMESPACE

from jada_tools.local.emulator import REGION, emulate
from jada_tools.local.engine import STALL_TIMEOUT_S, Simulator
from jada_tools.local.inputs import ScenarioInputs
from jada_tools.local.lambda_tap import LambdaTap
from jada_tools.local.mailbox import Mailbox
from jada_tools.local.metrics import MetricStore
from jada_tools.local.model_choice import uses_offline_model
from jada_tools.local.moto_lambda import InProcessLambda, Invocation
from jada_tools.local.observers import (
    AlarmObserver,
    Entry,
    InvocationLog,
    MailboxObserver,
    PollObserver,
    SessionObserver,
    SyncObserver,
    Timeline,
    sheet_rows,
    task_store,
    tasks_table,
)
from jada_tools.local.provision import Deployment
from jada_tools.local.report import sessions_by_day, task_entry
from jada_tools.local.scenario import Scenario
from jada_tools.local.simclock import SimClock
from jada_tools.local.sites import (
    DeployObserver,
    deployments,
    invalidations,
    live_sites,
    provision_sites,
    store_mcp_tokens,
)
from jada_tools.local.synth import base_context, scenario_context, synthesize

#: environment variables that point the handlers at real services instead of the offline stand-ins
GOOGLE_VARS = ("GOOGLE_OAUTH_TOKEN_URI", "SHEETS_API_ENDPOINT")
#: simulated duration of one turn (model call plus tools) of the offline model
TURN_SECONDS = 20


@dataclass
class RunResult:
    report: dict[str, Any]
    timeline: list[Entry]
    deployment: Deployment
    #: what the handlers logged (Powertools JSON lines), kept out of the console
    logs: str = ""
    #: every Lambda invocation of the run, in order (function, event, result, stdout, duration)
    invocations: list[Invocation] = field(default_factory=list)


@contextlib.contextmanager
def _environ(values: Mapping[str, str | None]) -> Iterator[None]:
    saved = dict(os.environ)
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(
    scenario: Scenario, *, context: dict[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> RunResult:
    """Run `scenario` offline. `context` replaces cdk.json's context (tests change settings)."""
    ctx = scenario_context(scenario, base_context() if context is None else context)
    return run_template(scenario, synthesize(ctx).template, environ=environ)


def run_template(
    scenario: Scenario, template: dict[str, Any], *, environ: Mapping[str, str] | None = None
) -> RunResult:
    """Provision `template` in moto and run the scenario's window on the simulated clock."""
    logs = io.StringIO()
    with open_cloud(scenario, template, environ=environ, logs=logs) as cloud:
        sim = cloud.sim
        sim.start()
        try:
            sim.run_until(scenario.end)
        finally:
            sim.stop_running()
        report = _report(sim, scenario, cloud.syncs.syncs, cloud.mailbox, offline=cloud.offline)
        return RunResult(
            report, cloud.timeline.entries, sim.deployment, logs.getvalue(), list(cloud.runtime.invocations)
        )


@dataclass
class LocalCloud:
    """A local cloud ready to start: the simulator with jada's observers, the scenario's inputs on it."""

    sim: Simulator
    runtime: InProcessLambda
    timeline: Timeline
    syncs: SyncObserver
    mailbox: Mailbox
    #: (offline model, offline Google): whether the stand-ins run instead of real endpoints
    offline: tuple[bool, bool]

    @property
    def deployment(self) -> Deployment:
        return self.sim.deployment


@contextlib.contextmanager
def open_cloud(
    scenario: Scenario,
    template: dict[str, Any],
    *,
    logs: TextIO,
    environ: Mapping[str, str] | None = None,
) -> Iterator[LocalCloud]:
    """`template` provisioned in moto on a simulated clock at `scenario.start`, with the offline
    stand-ins (unless `environ` names real endpoints), the scenario's tasks and answers queued on
    the simulator, not started. The handlers' logs (and any stray print) go to `logs`.
    `jada local run` drives it to the scenario's end; `jada local serve` in real time."""
    env = dict(os.environ if environ is None else environ)
    offline_model = uses_offline_model(env)
    offline_google = not any(env.get(k) for k in GOOGLE_VARS)
    with contextlib.ExitStack() as stack:
        overrides: dict[str, str | None] = {
            "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": None,
            "AWS_PROFILE": None, "AWS_ENDPOINT_URL": None, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "1", "POWERTOOLS_DEV": None,
        }  # fmt: skip
        model = google = None
        if offline_model:
            from jada_tools.fakes.model_server import ModelServer
            from jada_tools.local.scripted_model import respond

            model = stack.enter_context(ModelServer(respond))
            overrides.update({"ANTHROPIC_BASE_URL": model.base_url, "ANTHROPIC_API_KEY": None})
        clock = SimClock(scenario.start)
        if offline_google:
            google = stack.enter_context(_google_fake(scenario, clock))
            overrides.update(
                {"GOOGLE_OAUTH_TOKEN_URI": google.token_uri, "SHEETS_API_ENDPOINT": google.sheets_endpoint}
            )
        stack.enter_context(_environ(overrides))
        stack.enter_context(contextlib.redirect_stdout(logs))
        metrics = MetricStore()

        def sink(_function: str, text: str) -> None:
            logs.write(text)  # the functions' CloudWatch Logs
            metrics.feed(text, clock.now)  # their EMF lines become CloudWatch metrics

        cloud = stack.enter_context(emulate(template, clock=clock, sink=sink, region=REGION))
        deployment = cloud.deployment
        _fill_secrets(deployment, scenario, env)
        store_mcp_tokens(scenario, deployment.region)
        provision_sites(deployment, scenario)
        latency = _turn_latency(deployment) if offline_model else None
        stack.enter_context(LambdaTap(clock, metrics, latency))
        # a real model's turn batch can take minutes of real time
        stall = STALL_TIMEOUT_S if offline_model else 15 * 60.0
        sim = Simulator(deployment, clock=clock, metrics=metrics, runtime=cloud.runtime, stall_timeout=stall)
        timeline = Timeline(clock)
        syncs = SyncObserver(timeline, deployment)
        mailbox = Mailbox(deployment.region)
        for observer in (
            InvocationLog(timeline), PollObserver(timeline), syncs, SessionObserver(timeline, deployment),
            AlarmObserver(timeline), MailboxObserver(timeline, mailbox), DeployObserver(timeline, deployment),
        ):  # fmt: skip
            sim.observe(observer)
        ScenarioInputs(sim, timeline, google).add(scenario)
        yield LocalCloud(
            sim, cloud.runtime, timeline, syncs, mailbox, offline=(offline_model, offline_google)
        )


def _iso(moment: Any) -> str | None:
    return iso(moment) if moment is not None else None


@contextlib.contextmanager
def _google_fake(scenario: Scenario, clock: SimClock) -> Iterator[Any]:
    from jada_tools.fakes.google_server import GoogleFake

    sync = scenario.sheet_sync
    fake = GoogleFake(
        sync.rows if sync else None,
        clock=lambda: clock.now,
        spreadsheet_id=sync.spreadsheet_id if sync else None,
    )
    if sync is not None and sync.revoke_at is not None:
        fake.revoke_at(sync.revoke_at)
    with fake:
        yield fake


def _turn_latency(dep: Deployment) -> Any:
    """Offline model: each turn of a batch takes TURN_SECONDS of simulated time."""
    fn = dep.function_by_folder("turn_batch")
    if fn is None:
        return None
    name = fn.name

    def latency(function: str, request: Any, response: Any) -> float:
        if function.rsplit(":function:", maxsplit=1)[-1].split(":", maxsplit=1)[0] != name:
            return 0.0
        before, after = _turns(request), _turns(response)
        return TURN_SECONDS * max(0, after - before)

    return latency


def _turns(payload: Any) -> int:
    try:
        data = json.loads(payload) if isinstance(payload, bytes | str) else payload
        return int(data.get("turns") or 0) if isinstance(data, dict) else 0
    except ValueError:
        return 0


def _fill_secrets(dep: Deployment, scenario: Scenario, env: Mapping[str, str]) -> None:
    """The Google token from the scenario, the Anthropic key from the environment (never printed)."""
    import boto3

    sm = boto3.client("secretsmanager", region_name=dep.region)
    wanted: dict[str, str] = {}
    for fn in dep.functions.values():
        google_id = fn.environment.get("GOOGLE_TOKEN_SECRET_ID")
        if google_id and scenario.sheet_sync is not None:
            token = scenario.sheet_sync.token
            wanted[google_id] = json.dumps({
                "type": "authorized_user", "client_id": token.client_id, "client_secret": token.client_secret,
                "refresh_token": token.refresh_token, "token_uri": "https://oauth2.googleapis.com/token",
            })  # fmt: skip
        key_id = fn.environment.get("ANTHROPIC_SECRET_ID")
        if key_id:
            wanted[key_id] = json.dumps({"api_key": env.get("ANTHROPIC_API_KEY") or "local-no-key"})
    for secret_id, value in wanted.items():
        sm.put_secret_value(SecretId=secret_id, SecretString=value)


def _report(
    sim: Simulator,
    scenario: Scenario,
    syncs: list[dict[str, Any]],
    mailbox: Mailbox,
    *,
    offline: tuple[bool, bool],
) -> dict[str, Any]:
    offline_model, offline_google = offline
    dep = sim.deployment
    tasks = []
    if tasks_table(dep) is not None:
        tasks = sorted(task_store(dep).list_all(limit=10_000), key=lambda t: (t.created_at, t.task_id))
    return {
        "scenario": {"start": iso(scenario.start), "end": iso(scenario.end)},
        "tasks": [task_entry(t) for t in tasks],
        "sessions_by_day": sessions_by_day(tasks),
        "syncs": syncs,
        "sheet_rows": sheet_rows(dep),
        "emails": [e.to_dict() for e in mailbox.emails],
        "executions": [
            {"name": v.name, "status": v.status, "started_at": _iso(v.started), "stopped_at": _iso(v.stopped)}
            for v in sim.executions.seen.values()
        ],
        "alarms": [
            {
                "name": a.name,
                "state": a.state,
                "changes": [{"at": iso(c.at), "from": c.old, "to": c.new} for c in a.history],
            }
            for a in sim.alarms.alarms
        ],
        "metrics": {k: v for k, v in sorted(sim.metrics.to_summary().items()) if not k.startswith("AWS/")},
        "metric_hours": sim.metrics.hours(NAMESPACE),
        "deployments": deployments(dep),
        "sites": live_sites(dep),
        "invalidations": invalidations(dep),
        "model": "offline scripted model" if offline_model else "Anthropic API (from the environment)",
        "google": "offline Google stand-in" if offline_google else "Google endpoints from the environment",
    }
