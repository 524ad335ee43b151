"""The `jada` command line (typer + rich). Read commands never import anthropic or googleapiclient."""
