"""Loopback HTTP fakes of the remote ends (Anthropic Messages API, Google OAuth + Sheets): the real
clients talk to them over 127.0.0.1. Used by the local cloud's offline stand-ins and by tests."""
