"""jada: serverless orchestrator for Claude agent sessions and a monitored Google Sheet sync."""

__version__ = "0.1.0"
