"""Every error jada raises on purpose.

The class names are the Step Functions contract: the session state machine's Retry and Catch
match on them (Lambda reports an unhandled exception's class name as its `errorType`).
Keep them here, in one module, and change infra/jada_infra/orchestration.py with them.
"""

from __future__ import annotations

from typing import Any


class JadaError(Exception):
    """Base class: a message for people plus machine-readable details."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


# --- task store -----------------------------------------------------------------------------
class TaskNotFound(JadaError):
    """No task with that id."""


class IllegalTransition(JadaError):
    """The lifecycle forbids moving the task from its current status to the requested one."""


class InvalidTaskInput(JadaError):
    """A task's fields are invalid (empty or oversized prompt, bad priority, ...)."""


# --- quota ----------------------------------------------------------------------------------
class QuotaExhausted(JadaError):
    """Today's session quota (or the concurrency cap) is used up."""


# --- checkpoints ----------------------------------------------------------------------------
class CheckpointError(JadaError):
    """Base class for checkpoint problems; the session fails the task with this reason."""


class CheckpointMissing(CheckpointError):
    """A turn the session needs is not stored (a gap in the turn sequence, or an S3 object gone)."""


class CheckpointCorrupt(CheckpointError):
    """A stored turn cannot be decoded or fails its integrity check."""


class CheckpointConflict(CheckpointError):
    """Another writer stored a different turn under the same key."""


# --- model (Anthropic Messages API): Step Functions Retry/Catch names -------------------------
class ModelRateLimited(JadaError):
    """429 from the Messages API. Retried by the state machine with backoff."""


class ModelUnavailable(JadaError):
    """529 / 5xx / connection error / timeout. Retried by the state machine with backoff."""


class ModelAuthFailed(JadaError):
    """401 / 403: the API key is missing, wrong or revoked. Not retried; alarms."""


class ModelRequestRejected(JadaError):
    """400: the API rejected the request. Not retried; the session fails with the API's message."""


class SpendLimitReached(JadaError):
    """429 `enforced_spend_limit_reached`: usage is paused. Not retried; stop starting sessions; alarms."""


# --- AWS ----------------------------------------------------------------------------------------
class AwsUnavailable(JadaError):
    """An AWS request failed in a way that passes (throttling, a 5xx, a lost connection or a read
    timeout) after the SDK's own retries. Retried by the state machine with backoff."""


#: Errors the state machine retries with exponential backoff and full jitter.
RETRYABLE_ERRORS: tuple[str, ...] = (
    ModelRateLimited.__name__,
    ModelUnavailable.__name__,
    AwsUnavailable.__name__,
)
#: Errors that end the session at once (no retry), recorded on the task by the Catch path.
FATAL_ERRORS: tuple[str, ...] = (
    ModelAuthFailed.__name__,
    ModelRequestRejected.__name__,
    SpendLimitReached.__name__,
    CheckpointMissing.__name__,
    CheckpointCorrupt.__name__,
)


# --- workspace and sites (work tools) ---------------------------------------------------------
class WorkspacePathRefused(JadaError):
    """A workspace path that leaves the workspace or is not allowed (`..`, encoded, another root)."""


class EditRefused(JadaError):
    """An editor command that cannot apply (no match, several matches, a bad line number, a binary
    or oversized file); its message is the tool result the model gets."""


class WorkspaceConflict(JadaError):
    """A conditional workspace write lost a race: the object changed since it was read."""


class UnknownSite(JadaError):
    """A site name that is not configured (the `sites` setting)."""


class SiteTooLarge(JadaError):
    """A site's file list does not fit in one deploy record."""


# --- operator -----------------------------------------------------------------------------
class StoppedByOperator(JadaError):
    """The error name `jada tasks stop` gives `StopExecution`: session end records the session as
    `stopped` (not failed) and suspends the task."""


# --- settings -------------------------------------------------------------------------------
class ConfigurationError(JadaError):
    """A required setting or environment variable is missing or invalid."""


# --- sheet sync -----------------------------------------------------------------------------
class TokenRefreshFailed(JadaError):
    """The Google token endpoint refused to refresh; `details` carry its error code, never the token."""
