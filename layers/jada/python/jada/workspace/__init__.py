"""The workspace: an S3 bucket of the stack holding the files the agent edits (each configured
site's sources under `sites/<site>/`, the agent's notes under `notes/`). `paths` validates what
the agent names (pure), `text` edits contents (pure), `store` talks to the bucket."""
