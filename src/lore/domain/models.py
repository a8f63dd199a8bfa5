"""Projects, events and sessions as plain, frozen records."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lore.errors import one_of

# Ids and counts are 64-bit integers in SQLite and PostgreSQL: a larger one is refused when it is
# validated, never left to overflow in the database.
MAX_INT = 2**63 - 1
RecordId = Annotated[int, Field(ge=1, le=MAX_INT)]
# A UNIX time in seconds from 1970 to 2200: finite, and not milliseconds by mistake.
LATEST_TIME = 7_258_118_400.0
Timestamp = Annotated[float, Field(ge=0, le=LATEST_TIME, allow_inf_nan=False)]

ModelTier = Literal["small", "medium"]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProjectSettings(BaseModel):
    """What a user can change about a project; validated on every update."""

    model_config = ConfigDict(extra="forbid")

    model_tier: ModelTier = "small"
    auto_learn: bool = True
    # The sources whose sessions auto-learn enriches in this project ("*": every source);
    # None follows pipeline.auto_enrich_sources.
    auto_enrich_sources: list[str] | None = None
    deep_enrich: bool = True
    auto_commit: bool = True
    auto_approve_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    # Tokens of memory an agent is given when its session starts (0: none).
    session_start_tokens: int = Field(default=600, ge=0, le=20_000)


class Project(Record):
    id: int
    name: str
    repo: str | None
    settings: ProjectSettings
    embedding_model: str | None
    embedding_dim: int | None
    created_at: float
    updated_at: float


class SessionState(StrEnum):
    IDLE = "idle"
    COLLECTING = "collecting"
    EXTRACTING = "extracting"
    READY = "ready"
    FAILED = "failed"


class SessionStatus(StrEnum):
    """What people see; derived from the state and the error, never stored."""

    ACTIVE = "active"
    COMPLETED = "completed"
    ENRICHING = "enriching"
    FAILED = "failed"


_STATUS_OF_STATE = {
    SessionState.COLLECTING: SessionStatus.ACTIVE,
    SessionState.IDLE: SessionStatus.COMPLETED,
    SessionState.READY: SessionStatus.COMPLETED,
    SessionState.EXTRACTING: SessionStatus.ENRICHING,
    SessionState.FAILED: SessionStatus.FAILED,
}


def session_status(state: SessionState, error: str | None = None) -> SessionStatus:
    """A session's latest extraction failed when it has an error: it shows failed whatever its
    state (one still collecting goes on collecting after a failed run). Every change of state
    and every new run clears the error; the store's status filter follows the same rule."""
    return SessionStatus.FAILED if error is not None else _STATUS_OF_STATE[state]


def states_shown_as(status: SessionStatus) -> list[SessionState]:
    """The states a session without an error shows as ``status``."""
    return [state for state, shown in _STATUS_OF_STATE.items() if shown is status]


def parse_status(status: str | None) -> SessionStatus | None:
    """A status filter as given (``None`` or empty: no filter); an unknown one is refused."""
    return one_of(SessionStatus, status, "status") if status else None


class Session(Record):
    id: int
    project_id: int
    source: str
    goal: str
    state: SessionState
    overrides: dict[str, Any]
    created_at: float
    last_event_at: float | None
    closed_at: float | None
    completed_at: float | None
    event_count: int
    items_extracted: int
    enriched: bool
    error: str | None

    @property
    def status(self) -> SessionStatus:
        return session_status(self.state, self.error)


class EventIn(BaseModel):
    """An event as a client sends it, before validation, redaction and hashing."""

    model_config = ConfigDict(extra="forbid")

    source: str
    type: str
    payload: dict[str, Any]
    session_id: RecordId | None = None
    idempotency_key: str | None = None
    occurred_at: Timestamp | None = None


class Event(Record):
    id: int
    project_id: int
    session_id: int
    episode_id: int | None
    source: str
    type: str
    payload: dict[str, Any]
    content_hash: str
    idempotency_key: str | None
    created_at: float
    occurred_at: float | None
    enriched_job_id: int | None


class IngestResult(Record):
    """What capture answers: the ids in the order sent (duplicates map to the stored event)."""

    event_ids: list[int]
    session_ids: list[int]
    duplicates: int
