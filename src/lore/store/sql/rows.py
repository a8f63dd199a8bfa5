"""Row to record conversions shared by the repositories (a row is read by column name)."""

from __future__ import annotations

import json
from typing import Any

from lore.domain import Event, Project, ProjectSettings, Session, SessionState


def project_from_row(row: Any) -> Project:
    return Project(
        id=row["id"],
        name=row["name"],
        repo=row["repo"],
        settings=ProjectSettings.model_validate_json(row["settings"]),
        embedding_model=row["embedding_model"],
        embedding_dim=row["embedding_dim"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def session_from_row(row: Any) -> Session:
    return Session(
        id=row["id"],
        project_id=row["project_id"],
        source=row["source"],
        goal=row["goal"],
        state=SessionState(row["state"]),
        overrides=json.loads(row["overrides"]),
        created_at=row["created_at"],
        last_event_at=row["last_event_at"],
        closed_at=row["closed_at"],
        completed_at=row["completed_at"],
        event_count=row["event_count"],
        items_extracted=row["items_extracted"],
        enriched=bool(row["enriched"]),
        error=row["error"],
    )


def event_from_row(row: Any) -> Event:
    return Event(
        id=row["id"],
        project_id=row["project_id"],
        session_id=row["session_id"],
        episode_id=row["episode_id"],
        source=row["source"],
        type=row["type"],
        payload=json.loads(row["payload"]),
        content_hash=row["content_hash"],
        idempotency_key=row["idempotency_key"],
        created_at=row["created_at"],
        occurred_at=row["occurred_at"],
        enriched_job_id=row["enriched_job_id"],
    )
