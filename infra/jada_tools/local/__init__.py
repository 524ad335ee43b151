"""The local cloud: the synthesized app run offline in moto on a simulated clock (issue 6).

- `synth`: the CDK app synthesized in-process (no bundling, no validation; assets point at sources).
- `provision` + `intrinsics`: the template's tables, bucket, queues, topics, secrets, functions and
  state machine created in moto; schedules and alarms read from the template.
- `simclock`: time-machine moves the process clock; Wait states and Retry intervals sleep on it.
- `moto_lambda`: moto's Lambda runs the real handler files in-process; `emulator`: the template
  provisioned in moto with it (the one harness, shared by the local cloud and the tests).
- `engine`: the generic discrete-event simulator (schedule firings, alarm evaluations, injected
  events); it advances the clock only when every execution has finished or sleeps, and tells
  observers what happened.
- `observers` + `inputs`: what a run of jada means (timeline, syncs, sessions, emails) and the
  scenario's own events (task arrivals, answers).
- `metrics` + `alarms` + `mailbox`: EMF lines become metrics, template alarms are evaluated every
  simulated minute, SNS publishes reach the email subscribers' mailbox.
- `scripted_model`: the offline stand-in for Anthropic (the loopback fakes are in jada_tools.fakes).
- `cloud`: `run(scenario)` wires it together and builds the report; `timeline` prints it.
- `serve` (`jada local serve`): the same cloud kept running in real time x speed (`pacing`), with
  an AWS endpoint for the CLI (`endpoint`: moto's server over the same backends, `atomic` requests)
  and the stack record, alarms and metrics the commands read (`mirror`).
"""
