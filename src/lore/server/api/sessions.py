from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from lore.server.api.schemas import SessionOut
from lore.server.deps import Id, LoreDep, Offset, ProjectDep, page_size

router = APIRouter(tags=["sessions"])


@router.get("/sessions")
def list_sessions(
    lore: LoreDep,
    project: str | None = None,
    status: str | None = None,
    source: str | None = None,
    limit: int = page_size(50, 500),
    offset: Offset = 0,
) -> list[SessionOut]:
    sessions = lore.sessions(project, status=status, source=source, limit=limit, offset=offset)
    return [SessionOut.of(session) for session in sessions]


@router.get("/sessions/{session_id}")
def show_session(
    session_id: Id, lore: LoreDep, project: ProjectDep, events: int = page_size(100, 1000)
) -> dict[str, Any]:
    session = lore.session(session_id, project=project)
    shown = lore.store.events.for_session(session_id, limit=events)
    return {
        "session": SessionOut.of(session).model_dump(),
        "events": [event.model_dump() for event in shown],
    }


@router.post("/sessions/{session_id}/close")
def close_session(session_id: Id, lore: LoreDep, project: ProjectDep) -> SessionOut:
    lore.session(session_id, project=project)
    return SessionOut.of(lore.close(session_id))
