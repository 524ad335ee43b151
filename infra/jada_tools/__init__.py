"""jada's operator and developer tooling: the CLI, the local cloud and the loopback fakes.

Not Lambda code: it never ships in a layer. It imports the runtime package `jada` and the CDK app
`jada_infra`; neither imports it."""
