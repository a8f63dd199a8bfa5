"""The PostgreSQL backend, for a team's shared store (``database_url = "postgresql://..."``).

Being built in steps (issue 15): the database layer, its migrations and the shared repositories
of projects, events and sessions run on it now; the engine's records, jobs, the graph, vectors
(pgvector) and search (tsvector, pg_trgm) follow, then ``open_store`` selects it by URL.
"""

from __future__ import annotations

from lore.store.base import EventStore, ProjectStore, SessionStore
from lore.store.postgres.db import PostgresDatabase
from lore.store.sql.events import SQLEvents
from lore.store.sql.projects import SQLProjects
from lore.store.sql.sessions import SQLSessions


class PostgresStore:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db
        self.projects: ProjectStore = SQLProjects(db)
        self.events: EventStore = SQLEvents(db)
        self.sessions: SessionStore = SQLSessions(db)

    @classmethod
    def open(cls, url: str) -> PostgresStore:
        return cls(PostgresDatabase.open(url))

    def close(self) -> None:
        self.db.close()


__all__ = ["PostgresStore"]
