"""The local cloud: the synthesized app run offline in moto on a simulated clock (issue 6).

- `synth`: the CDK app synthesized in-process (no bundling, no validation; assets point at sources).
- `provision` + `intrinsics`: the template's tables, bucket, queues, topics, secrets, functions and
  state machine created in moto; schedules and alarms read from the template.
- `simclock`: time-machine moves the process clock; Wait states and Retry intervals sleep on it.
- `engine`: the discrete-event loop (task arrivals, answers, schedule firings, alarm evaluations);
  it advances the clock only when every execution has finished or sleeps.
- `metrics` + `alarms` + `mailbox`: EMF lines become metrics, template alarms are evaluated every
  simulated minute, SNS publishes reach the email subscribers' mailbox.
- `scripted_model`, `model_server`, `google_server`: offline stand-ins for Anthropic and Google.
- `cloud`: `run(scenario)` wires it together and builds the report; `timeline` prints it.
"""
