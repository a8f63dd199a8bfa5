"""The session state machine as data: which operation each state allows, the reason it rejects
the others with, and the state queued operations are validated against.

    idle ──start_episode──> collecting ──close──> extracting ──ok──> ready ──commit/discard──> idle
                                 │                    │ └─ok, auto-commit──────────────────> idle
                                 │                    └─error──> failed ──commit (retry)──> extracting
                                 └─close, auto-commit, nothing left to extract──> idle     └─discard──> idle
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from lore.domain import SessionState
from lore.errors import SessionError

IDLE, COLLECTING, EXTRACTING, READY, FAILED = (
    SessionState.IDLE,
    SessionState.COLLECTING,
    SessionState.EXTRACTING,
    SessionState.READY,
    SessionState.FAILED,
)

Operation = Literal["append", "close", "commit", "discard", "start_episode"]

# None: the state allows the operation; otherwise the reason it is rejected with.
RULES: dict[Operation, dict[SessionState, str | None]] = {
    "append": {
        IDLE: "not_collecting",
        COLLECTING: None,
        EXTRACTING: "extraction_in_progress",
        READY: "not_idle",
        FAILED: "session_failed",
    },
    "close": {
        IDLE: "not_collecting",
        COLLECTING: None,
        EXTRACTING: "extraction_in_progress",
        READY: "not_idle",
        FAILED: "session_failed",
    },
    "commit": {
        IDLE: "not_ready",
        COLLECTING: "not_ready",
        EXTRACTING: "extraction_in_progress",
        READY: None,
        FAILED: None,
    },
    "discard": {
        IDLE: "not_discardable",
        COLLECTING: "not_discardable",
        EXTRACTING: "extraction_in_progress",
        READY: None,
        FAILED: None,
    },
    "start_episode": {
        IDLE: None,
        COLLECTING: "not_idle",
        EXTRACTING: "extraction_in_progress",
        READY: "not_idle",
        FAILED: "session_failed",
    },
}

EXPLANATIONS = {
    "not_ready": "there is no extracted changeset to commit (close the episode first)",
    "not_discardable": "there is nothing to discard: only a ready or failed episode can be",
    "not_collecting": "no episode is open: start one first",
    "not_idle": "the session has an episode in hand: commit or discard it first",
    "append_in_progress": "steps are still being annotated: wait for the appends (or use"
    " close_async)",
    "extraction_in_progress": "extraction is running: wait for it (or use the *_async"
    " operations, which queue)",
    "session_failed": "extraction failed: commit to retry it, or discard the episode",
    "invalid_operation": "there is no such session operation",
    "pending_queue_full": "too many operations are queued already",
    "invalid_queued_operation": "the operation would be invalid after the ones queued before it",
    "extraction_failed": "extraction failed",
    "preceding_op_failed": "an operation queued before this one failed",
}

# The transitions queued operations are projected through. Close leads to ready, or straight to
# idle when the session commits automatically.
PROJECTED: dict[tuple[SessionState, str], SessionState] = {
    (READY, "commit"): IDLE,
    (READY, "discard"): IDLE,
    (IDLE, "start_episode"): COLLECTING,
    (COLLECTING, "close"): READY,
}


def session_error(
    reason: str, detail: str | None = None, session_id: int | None = None
) -> SessionError:
    about = f"session {session_id}: " if session_id is not None else ""
    message = f"{about}{detail or EXPLANATIONS.get(reason, reason)} ({reason})"
    return SessionError(reason, message)


def check(operation: str, state: SessionState, session_id: int | None = None) -> None:
    """Raise the ``SessionError`` the state rejects the operation with, if it does."""
    rules = RULES.get(operation)  # type: ignore[call-overload]
    if rules is None:
        raise session_error("invalid_operation", f"unknown operation {operation!r}", session_id)
    reason = rules[state]
    if reason is not None:
        raise session_error(
            reason,
            f"{operation} is not possible while {state.value}: {EXPLANATIONS[reason]}",
            session_id,
        )


def projection_start(state: SessionState, auto_commit: bool) -> SessionState:
    """The state queued operations start from: where a running extraction will leave the
    session (ready, or idle with auto-commit); a collecting session stays collecting."""
    if state is EXTRACTING:
        return IDLE if auto_commit else READY
    return state


def project(state: SessionState, operation: str, auto_commit: bool) -> SessionState | None:
    """The state after ``operation`` from ``state``; None when it would be invalid there."""
    after = PROJECTED.get((state, operation))
    if after is READY and auto_commit:
        return IDLE
    return after


def check_queued(
    state: SessionState, auto_commit: bool, queued: Iterable[str], operation: str
) -> None:
    """Validate ``operation`` against the state projected after the ``queued`` operations."""
    projected: SessionState | None = projection_start(state, auto_commit)
    for earlier in queued:
        projected = project(projected, earlier, auto_commit) if projected else None
    if projected is None or project(projected, operation, auto_commit) is None:
        shown = projected.value if projected else "invalid"
        raise session_error(
            "invalid_queued_operation",
            f"{operation} would be invalid: after the queued operations the session would be"
            f" {shown}",
        )
