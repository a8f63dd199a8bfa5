"""``close_and_commit``: close, wait for extraction, commit, built on the public operations.

A failed extraction is retried (commit in ``failed``) up to ``max_retries`` times before
``SessionError(extraction_failed)``; a wait longer than ``max_polls`` polls raises
``SessionTimeoutError(extraction_timeout)``. With auto-commit the session ends idle by itself.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from lore.domain import SessionState
from lore.errors import SessionError, SessionTimeoutError
from lore.sessions.states import EXTRACTING, FAILED, IDLE, READY, session_error

if TYPE_CHECKING:
    from lore.sessions.engine import SessionEngine


def close_and_commit(
    engine: SessionEngine,
    session_id: int,
    *,
    max_retries: int,
    max_polls: int,
    poll_interval: float,
) -> SessionState:
    """Close, wait for extraction, commit; retry a failed extraction ``max_retries`` times."""
    _close_when_free(engine, session_id, max_polls, poll_interval)
    retries = max_retries
    while True:
        state = _settle(engine, session_id, max_polls, poll_interval)
        if state is READY:
            engine.commit(session_id)
            return IDLE
        if state is IDLE:
            return IDLE
        if state is FAILED and retries > 0:
            retries -= 1
            engine.commit(session_id)
            continue
        if state is FAILED:
            error = engine.store.sessions.get(session_id).error
            raise session_error(
                "extraction_failed",
                f"extraction failed after {max_retries} retries: {error}",
                session_id,
            )
        raise SessionTimeoutError(
            "extraction_timeout",
            f"session {session_id}: extraction did not finish within {max_polls} polls of"
            f" {poll_interval:g} s",
        )


# Under auto-commit a finished trajectory is extracted while the session still collects, and
# the last appends may still be annotated: close waits for those instead of failing.
BUSY = ("extraction_in_progress", "append_in_progress")


def _close_when_free(engine: SessionEngine, session_id: int, polls: int, interval: float) -> None:
    for _ in range(max(polls, 1)):
        try:
            engine.close(session_id)
            return
        except SessionError as error:
            if error.reason not in BUSY:
                raise
        time.sleep(interval)
    raise SessionTimeoutError(
        "extraction_timeout",
        f"session {session_id}: still busy after {polls} polls of {interval:g} s; not closed",
    )


def _settle(
    engine: SessionEngine, session_id: int, polls: int, interval: float
) -> SessionState | None:
    for _ in range(max(polls, 1)):
        state = engine.state(session_id)
        if state is not EXTRACTING:
            return state
        time.sleep(interval)
    return None
