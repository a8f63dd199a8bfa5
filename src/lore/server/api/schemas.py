"""JSON shapes of the REST API that are not domain records themselves."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from lore.domain import Project, Session


class ProjectOut(BaseModel):
    id: int
    name: str
    repo: str | None
    settings: dict[str, Any]
    embedding_model: str | None
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, project: Project) -> ProjectOut:
        return cls(
            **project.model_dump(exclude={"settings", "embedding_dim"}),
            settings=project.settings.model_dump(),
        )


class SessionOut(BaseModel):
    id: int
    project_id: int
    source: str
    goal: str
    state: str
    status: str
    event_count: int
    items_extracted: int
    created_at: float
    last_event_at: float | None
    closed_at: float | None
    completed_at: float | None
    enriched: bool
    error: str | None

    @classmethod
    def of(cls, session: Session) -> SessionOut:
        data = session.model_dump(exclude={"overrides"})
        return cls(**data, status=session.status.value)
