"""Orchestration: the poll that starts sessions, the end of a session, and operator actions."""
