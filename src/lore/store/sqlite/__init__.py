"""The SQLite backend: the embedded default."""

from __future__ import annotations

from pathlib import Path

from lore.store.base import (
    EventStore,
    JobStore,
    LLMCallStore,
    ProjectStore,
    SessionStore,
    VectorStore,
)
from lore.store.sqlite.db import Database
from lore.store.sqlite.events import SQLiteEvents
from lore.store.sqlite.jobs import SQLiteJobs
from lore.store.sqlite.llm_calls import SQLiteLLMCalls
from lore.store.sqlite.projects import SQLiteProjects
from lore.store.sqlite.sessions import SQLiteSessions
from lore.store.sqlite.vectors import SQLiteVectors


class SQLiteStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.projects: ProjectStore = SQLiteProjects(db)
        self.events: EventStore = SQLiteEvents(db)
        self.sessions: SessionStore = SQLiteSessions(db)
        self.llm_calls: LLMCallStore = SQLiteLLMCalls(db)
        self.vectors: VectorStore = SQLiteVectors(db)
        self.jobs: JobStore = SQLiteJobs(db)

    @classmethod
    def open(cls, path: Path) -> SQLiteStore:
        return cls(Database.open(path))

    def close(self) -> None:
        self.db.close()


__all__ = ["SQLiteStore"]
