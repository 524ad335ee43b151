"""Agent sessions in turn batches: model client, tools, prompts, pricing and the turn loop.

`anthropic` is imported lazily (only on the path that calls the model)."""
