"""Plain types shared by every part of lore: no I/O, no SQL."""

from lore.domain.models import (
    Event,
    EventIn,
    IngestResult,
    ModelTier,
    Project,
    ProjectSettings,
    Session,
    SessionState,
    SessionStatus,
    session_status,
)

__all__ = [
    "Event",
    "EventIn",
    "IngestResult",
    "ModelTier",
    "Project",
    "ProjectSettings",
    "Session",
    "SessionState",
    "SessionStatus",
    "session_status",
]
