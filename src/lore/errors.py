"""The one exception tree of lore.

    LoreError
    ├── ConfigError            bad or contradictory configuration
    │   └── NotConfiguredError   an operation that needs something not configured (ask: an LLM)
    ├── ValidationError        bad input; names the offending field
    ├── NotFoundError          a project, session, item or job that does not exist
    ├── ForbiddenError         a dashboard form from another site, or without its sign-in's token
    ├── ConflictError          an operation that clashes with stored state
    │   ├── EmbeddingMismatchError
    │   └── LeaseLostError     a worker's lease on a job ran out and another worker took it
    ├── SessionError           a session operation invalid in the current state (has .reason)
    │   └── SessionTimeoutError  an append or close_and_commit that did not finish in time
    │                            (also a WaitTimeoutError and a builtin TimeoutError)
    ├── ProviderError          an LLM or embedding provider failed (after retries)
    │   ├── TransientProviderError   rate limits, timeouts, 5xx: worth retrying
    │   └── StructuredOutputError    the model's output never matched the schema
    ├── StoreError             the database could not do what was asked
    └── WaitTimeoutError       waiting for a job (or an extraction) took longer than allowed

Dependency errors are mapped into this tree at the boundary: callers never catch a vendor's error.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class LoreError(Exception):
    """Base class of every error lore raises on purpose."""


class ConfigError(LoreError):
    pass


class NotConfiguredError(ConfigError):
    pass


class ValidationError(LoreError):
    """Bad input. ``field`` names what was wrong, as a dotted path (``events[3].payload``)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def one_of(choices: type[E], value: str, field: str) -> E:
    """``value`` as a member of ``choices``; else a ValidationError naming the field and them."""
    try:
        return choices(value)
    except ValueError:
        allowed = ", ".join(choice.value for choice in choices)
        raise ValidationError(f"{field} must be one of {allowed} (got {value!r})", field) from None


class NotFoundError(LoreError):
    pass


class ForbiddenError(LoreError):
    pass


class ConflictError(LoreError):
    pass


class EmbeddingMismatchError(ConflictError):
    pass


class LeaseLostError(ConflictError):
    pass


class SessionError(LoreError):
    """An operation the session's state does not allow; ``reason`` is machine-readable."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message or reason)
        self.reason = reason


class ProviderError(LoreError):
    pass


class TransientProviderError(ProviderError):
    pass


class StructuredOutputError(ProviderError):
    pass


class StoreError(LoreError):
    pass


class WaitTimeoutError(LoreError):
    pass


class SessionTimeoutError(SessionError, WaitTimeoutError, TimeoutError):
    """A session operation that did not finish in time: ``append_timeout`` (the step stays
    stored and is still annotated) or ``extraction_timeout`` (``close_and_commit``)."""
