"""What AWS runs after a failed invocation, read from the synthesized template.

- `Functions`: the template's functions run in-process (the real handler files, each function's
  own environment, warm modules; a cold start after the Lambda died), one at a time.
- `async_invoke`: how EventBridge Scheduler and rules invoke a function (asynchronously): on an
  error Lambda retries the same event `MaximumRetryAttempts` times (its EventInvokeConfig in the
  template, else Lambda's default of 2).
- `StateMachine`: the synthesized session definition, interpreted: Task (lambda:invoke) with
  Parameters, ResultPath, OutputPath, Retry (ErrorEquals, MaxAttempts, backoff) and Catch; Choice;
  Succeed; Fail. Anything else in a definition is an error here, so a new construct cannot slip
  past this model silently. When an execution fails or times out, the template's rule for ended
  executions invokes its target with the status-change event.
Time is simulated (time-machine, not ticking): retry intervals and schedule periods move it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import time_machine
from jada_tools.local.intrinsics import ACCOUNT
from jada_tools.local.moto_lambda import _STDOUT, LambdaContext, _environment, _load_module
from jada_tools.local.provision import Deployment, LocalFunction, resources_of_type

from tests.functional.crash.faults import DIED_ERROR, Injector, LambdaDied

#: Lambda retries a failed asynchronous invocation twice unless configured otherwise
LAMBDA_ASYNC_RETRIES = 2
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


class Clock:
    """The process's simulated time (time-machine, not ticking)."""

    def __init__(self, start: datetime) -> None:
        self._travel = time_machine.travel(start, tick=False)
        self._traveller: Any = None
        self.now = start

    def start(self) -> Clock:
        self._traveller = self._travel.start()
        return self

    def stop(self) -> None:
        self._travel.stop()

    def set(self, moment: datetime) -> None:
        self.now = moment
        self._traveller.move_to(moment)

    def advance(self, seconds: float) -> None:
        self.set(self.now + timedelta(seconds=seconds))


@dataclass
class Outcome:
    """One invocation, as Lambda reports it."""

    function: str
    event: Any
    output: Any = None
    error: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    def cause(self) -> str:
        """The Cause Step Functions records for a failed Lambda task (the error JSON)."""
        return json.dumps({"errorType": self.error, "errorMessage": self.message})


@dataclass
class FrozenContext(LambdaContext):
    """A context whose remaining time does not run down: a run takes the same path however fast
    this machine is (a crash point must meet the same calls as the clean run)."""

    time_left_s: float = 60.0

    def get_remaining_time_in_millis(self) -> int:
        return int(self.time_left_s * 1000)


@dataclass
class Functions:
    """The deployment's functions, run in-process; the injector armed only for `target`."""

    deployment: Deployment
    injector: Injector
    extra_env: dict[str, str] = field(default_factory=dict)
    #: seconds left in the context of each function (default: its configured timeout)
    time_left: dict[str, float] = field(default_factory=dict)
    target: str | None = None
    #: how many invocations of `target` the injector counts (None: all of them)
    armed_invocations: int | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    _modules: dict[Path, ModuleType] = field(default_factory=dict)

    def function(self, folder: str) -> LocalFunction:
        fn = self.deployment.function_by_folder(folder)
        assert fn is not None, f"the template has no function built from functions/{folder}"
        return fn

    def folder_of(self, arn: str) -> str:
        fn = self.deployment.function_by_arn(arn)
        assert fn is not None, f"no function with ARN {arn}"
        assert fn.folder_name is not None, f"function {arn} has no source folder"
        return fn.folder_name

    def cold_start(self) -> None:
        """A new container: handler modules loaded afresh, nothing cached. The SDK clients are
        kept (building one costs more than a run; they hold no state a crash could leave)."""
        self._modules.clear()
        self.warm_start()

    def warm_start(self) -> None:
        """Warm containers without what they remember of the last run (cached secrets)."""
        from aws_lambda_powertools.utilities import parameters
        from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
        from jada.sheets import runtime as sync_runtime

        for provider in DEFAULT_PROVIDERS.values():
            provider.clear_cache()
        parameters.clear_caches()
        sync_runtime._token_source.cache_clear()

    def invoke(self, folder: str, event: Any) -> Outcome:
        fn = self.function(folder)
        assert fn.handler_file is not None
        if fn.handler_file not in self._modules:
            self._modules[fn.handler_file] = _load_module(fn.handler_file, "_jada_crash")
        handler = self._modules[fn.handler_file].handler
        payload = json.loads(json.dumps(event))  # what Lambda hands over is JSON
        outcome = Outcome(folder, payload)
        base = LambdaContext.create(fn.name, arn=fn.arn)
        context = FrozenContext(**vars(base), time_left_s=self.time_left.get(folder, float(fn.timeout)))
        env = {**fn.environment, "AWS_LAMBDA_FUNCTION_NAME": fn.name, **self.extra_env}
        injector = self.injector
        earlier = sum(1 for o in self.outcomes if o.function == folder)
        limit = self.armed_invocations
        injector.armed = folder == self.target and (limit is None or earlier < limit)
        try:
            with _environment(env), _STDOUT.capture(io.StringIO()):
                outcome.output = json.loads(json.dumps(handler(payload, context)))
        except LambdaDied as exc:
            outcome.error, outcome.message = DIED_ERROR, str(exc)
        except Exception as exc:
            outcome.error, outcome.message = type(exc).__name__, str(exc)
        finally:
            injector.armed = False
        if injector.dead:  # whatever it raised on its way down, the runtime reports the timeout
            outcome.error = DIED_ERROR
            injector.revive()
            self.cold_start()
        self.outcomes.append(outcome)
        return outcome

    # --- asynchronous invocations (schedules, rules) ----------------------------------------
    def async_retries(self, folder: str) -> int:
        lid = self.function(folder).logical_id
        for config in resources_of_type(self.deployment.template, "AWS::Lambda::EventInvokeConfig").values():
            props = config["Properties"]
            if _refers_to(props.get("FunctionName"), lid):
                return int(props.get("MaximumRetryAttempts", LAMBDA_ASYNC_RETRIES))
        return LAMBDA_ASYNC_RETRIES

    def async_invoke(self, folder: str, event: Any, clock: Clock) -> list[Outcome]:
        """An asynchronous invocation and Lambda's retries of it (about 1 and 2 minutes apart)."""
        outcomes = [self.invoke(folder, event)]
        for attempt in range(self.async_retries(folder)):
            if outcomes[-1].ok:
                break
            clock.advance(60 * (attempt + 1))
            outcomes.append(self.invoke(folder, event))
        return outcomes


def _refers_to(value: Any, logical_id: str) -> bool:
    return value == {"Ref": logical_id} or json.dumps(value).find(f'"{logical_id}"') >= 0


# --- the state machine ------------------------------------------------------------------------
@dataclass
class Execution:
    name: str
    input: dict[str, Any]
    status: str = "RUNNING"
    error: str | None = None
    cause: str | None = None
    output: Any = None
    #: the states entered, in order
    path: list[str] = field(default_factory=list)


def matches(error_equals: list[str], error: str) -> bool:
    if "States.ALL" in error_equals:
        return True
    if "States.TaskFailed" in error_equals and error != "States.Timeout":
        return True
    return error in error_equals


def read_path(data: Any, path: str) -> Any:
    if path == "$":
        return data
    if not path.startswith("$."):
        raise NotImplementedError(f"path {path!r}")
    for part in path[2:].split("."):
        data = data[part]
    return data


def write_path(data: Any, path: str | None, value: Any) -> Any:
    if path is None or path == "$":
        return value
    if not path.startswith("$.") or "." in path[2:]:
        raise NotImplementedError(f"result path {path!r}")
    return {**data, path[2:]: value}


def resolve(template: Any, data: Any) -> Any:
    """Parameters: keys ending in `.$` take the value at their path."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = read_path(data, value)
            else:
                out[key] = resolve(value, data)
        return out
    if isinstance(template, list):
        return [resolve(v, data) for v in template]
    return template


CHOICE_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "StringEquals": lambda value, expected: value == expected,
    "NumericEquals": lambda value, expected: value == expected,
    "BooleanEquals": lambda value, expected: value is expected,
}


class StateMachine:
    """The synthesized definition, run state by state (see the module docstring)."""

    def __init__(self, definition: dict[str, Any], functions: Functions, clock: Clock, name: str) -> None:
        self.definition = definition
        self.functions = functions
        self.clock = clock
        self.arn = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{name}"
        self.timeout_s = float(definition.get("TimeoutSeconds", 365 * 86400))

    def run(self, name: str, execution_input: dict[str, Any]) -> Execution:
        execution = Execution(name, execution_input)
        started = self.clock.now
        state_name: str | None = self.definition["StartAt"]
        data: Any = execution_input
        while state_name is not None:
            if (self.clock.now - started).total_seconds() > self.timeout_s:
                execution.status, execution.error = "TIMED_OUT", "States.Timeout"
                return execution
            execution.path.append(state_name)
            state = self.definition["States"][state_name]
            kind = state["Type"]
            if kind == "Task":
                state_name, data = self._task(state, data, execution)
            elif kind == "Choice":
                state_name = self._choice(state, data)
            elif kind == "Succeed":
                execution.status, execution.output = "SUCCEEDED", data
                return execution
            elif kind == "Fail":
                execution.status = "FAILED"
                execution.error = (
                    read_path(data, state["ErrorPath"]) if "ErrorPath" in state else state.get("Error")
                )
                execution.cause = (
                    read_path(data, state["CausePath"]) if "CausePath" in state else state.get("Cause")
                )
                return execution
            else:
                raise NotImplementedError(f"state type {kind} (state {state_name!r})")
        raise AssertionError("a state without Next or End")  # pragma: no cover

    def _task(self, state: dict[str, Any], data: Any, execution: Execution) -> tuple[str | None, Any]:
        if state.get("Resource") != LAMBDA_INVOKE:
            raise NotImplementedError(f"task resource {state.get('Resource')}")
        unsupported = set(state) & {"ResultSelector", "InputPath", "TimeoutSeconds", "HeartbeatSeconds"}
        if unsupported:
            raise NotImplementedError(f"task fields {sorted(unsupported)}")
        params = resolve(state["Parameters"], data)
        folder = self.functions.folder_of(params["FunctionName"])
        attempts = [0] * len(state.get("Retry", []))
        while True:
            outcome = self.functions.invoke(folder, params["Payload"])
            if outcome.ok:
                result = {"Payload": outcome.output, "StatusCode": 200}
                data = write_path(data, state.get("ResultPath", "$"), result)
                data = read_path(data, state.get("OutputPath", "$"))
                return self._next(state), data
            error = str(outcome.error)
            retrier = next(
                (i for i, r in enumerate(state.get("Retry", [])) if matches(r["ErrorEquals"], error)), None
            )
            if retrier is not None:
                rule = state["Retry"][retrier]
                if attempts[retrier] < int(rule.get("MaxAttempts", 3)):
                    attempts[retrier] += 1
                    self.clock.advance(_interval(rule, attempts[retrier]))
                    continue
            catcher = next((c for c in state.get("Catch", []) if matches(c["ErrorEquals"], error)), None)
            if catcher is None:
                execution.status, execution.error, execution.cause = "FAILED", error, outcome.cause()
                return None, data
            caught = {"Error": error, "Cause": outcome.cause()}
            return catcher["Next"], write_path(data, catcher.get("ResultPath", "$"), caught)

    def _choice(self, state: dict[str, Any], data: Any) -> str:
        for choice in state["Choices"]:
            tests = [k for k in choice if k in CHOICE_TESTS]
            if set(choice) - {"Variable", "Next", *tests} or len(tests) != 1:
                raise NotImplementedError(f"choice rule {choice}")
            if CHOICE_TESTS[tests[0]](read_path(data, choice["Variable"]), choice[tests[0]]):
                return str(choice["Next"])
        return str(state["Default"])

    @staticmethod
    def _next(state: dict[str, Any]) -> str | None:
        return None if state.get("End") else str(state["Next"])


def _interval(rule: dict[str, Any], attempt: int) -> float:
    """Without jitter: the interval before retry `attempt` (1-based), capped by MaxDelaySeconds."""
    delay = float(rule.get("IntervalSeconds", 1)) * float(rule.get("BackoffRate", 2)) ** (attempt - 1)
    return min(delay, float(rule.get("MaxDelaySeconds", delay)))


# --- the rule for ended executions ------------------------------------------------------------
@dataclass(frozen=True)
class EndedRule:
    """The template's EventBridge rule on the session state machine's status changes."""

    statuses: frozenset[str]
    target_folder: str


def ended_rule(deployment: Deployment, functions: Functions) -> EndedRule:
    [rule] = [
        r["Properties"]
        for r in resources_of_type(deployment.template, "AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("source") == ["aws.states"]
    ]
    [target] = rule["Targets"]
    lid = target["Arn"]["Fn::GetAtt"][0]
    fn = deployment.functions[lid]
    assert fn.folder_name is not None
    return EndedRule(frozenset(rule["EventPattern"]["detail"]["status"]), fn.folder_name)


def status_change(machine: StateMachine, execution: Execution) -> dict[str, Any]:
    """The "Step Functions Execution Status Change" event EventBridge delivers."""
    return {
        "version": "0",
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {
            "executionArn": f"{machine.arn.replace(':stateMachine:', ':execution:')}:{execution.name}",
            "stateMachineArn": machine.arn,
            "name": execution.name,
            "status": execution.status,
            "input": json.dumps(execution.input),
            "error": execution.error,
            "cause": execution.cause,
        },
    }


def states_of(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from definition["States"].items()
