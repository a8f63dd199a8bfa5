"""Projects, the events captured into them and the sessions that hold those events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lore.domain import Event, Project, ProjectSettings, Session, SessionState, SessionStatus


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    """An event validated, redacted and hashed by capture, ready to store."""

    source: str
    type: str
    payload_json: str
    content_hash: str
    idempotency_key: str | None = None
    occurred_at: float | None = None
    session_id: int | None = None
    # What the event says the session is about (a prompt, a save's summary, a commit's
    # subject): the first one becomes the goal of a session that has none.
    about: str | None = None


@dataclass(frozen=True, slots=True)
class AppendOutcome:
    event_ids: list[int]
    session_ids: list[int]
    duplicates: int
    new_event_ids: list[int]


class ProjectStore(Protocol):
    def create(self, name: str, repo: str | None, settings: ProjectSettings) -> Project: ...
    def get(self, project_id: int) -> Project: ...
    def by_name(self, name: str) -> Project | None: ...
    def all(self) -> list[Project]: ...
    def update(
        self,
        project_id: int,
        *,
        name: str | None = None,
        repo: str | None = None,
        settings: ProjectSettings | None = None,
    ) -> Project: ...
    def set_embedding_model(self, project_id: int, model: str, dim: int) -> Project: ...
    def get_state(self, project_id: int, key: str) -> str | None: ...
    def set_state(self, project_id: int, key: str, value: str) -> None: ...


class EventStore(Protocol):
    def append(
        self, project_id: int, events: Sequence[PreparedEvent], session_window_s: float
    ) -> AppendOutcome:
        """Store new events atomically, each in its given session or the active capture session
        of its project and source (created when none is younger than ``session_window_s``)."""
        ...

    def get(self, event_id: int) -> Event: ...
    def get_many(self, event_ids: Sequence[int]) -> dict[int, Event]:
        """The events of ``event_ids`` that exist, by id, in one query."""
        ...

    def around(self, project_id: int, when: float, count: int) -> list[Event]:
        """Up to ``count`` events of the project at or before ``when`` and ``count`` after it,
        in time order (an event's time: when it happened, else when it was captured)."""
        ...

    def for_session(
        self, session_id: int, *, after_id: int = 0, limit: int | None = None
    ) -> list[Event]: ...
    def unenriched(self, session_id: int) -> list[Event]: ...
    def mark_enriched(self, event_ids: Sequence[int], job_id: int) -> None: ...
    def count(self, project_id: int | None = None) -> int: ...


class SessionStore(Protocol):
    def create(
        self,
        project_id: int,
        source: str,
        goal: str = "",
        state: SessionState = SessionState.COLLECTING,
        overrides: dict[str, Any] | None = None,
    ) -> Session: ...
    def get(self, session_id: int) -> Session: ...
    def find(
        self,
        project_id: int | None = None,
        *,
        status: SessionStatus | None = None,
        source: str | None = None,
        text: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Session]:
        """Sessions, newest first; ``status`` as ``session_status`` derives it; ``text``: whose
        goal or one of whose events holds it."""
        ...

    def count(
        self,
        project_id: int | None = None,
        *,
        status: SessionStatus | None = None,
        source: str | None = None,
        text: str | None = None,
    ) -> int: ...
    def facets(self, project_id: int) -> tuple[list[str], list[SessionStatus]]:
        """The sources and the statuses the project's sessions have, for filters."""
        ...

    def set_error(self, session_id: int, error: str | None) -> None:
        """Record (or clear) the failure of the session's latest extraction run, whatever its
        state: a session still collecting shows failed until a new run begins."""
        ...

    def set_state(
        self,
        session_id: int,
        state: SessionState,
        *,
        expected: Sequence[SessionState] | None = None,
        error: str | None = None,
    ) -> Session:
        """Move to ``state``; with ``expected``, only from one of those states (else
        ConflictError)."""
        ...

    def inactive(self, before: float) -> list[Session]:
        """Captured sessions (not the engine's) still collecting whose last event (or start,
        when they have none) is older than ``before``."""
        ...

    def close(self, session_id: int) -> Session:
        """End collecting: close the open episode and move to idle (waiting for enrichment)."""
        ...

    def record_items(self, session_id: int, items_extracted: int) -> Session: ...
