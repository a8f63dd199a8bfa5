"""The PostgreSQL backend, for a team's shared store (``database_url = "postgresql://..."``).

Every repository runs on it: those written once for both engines (lore.store.sql: projects,
events, sessions, LLM calls, jobs, the session engine's records, the graph, its vectors, the
dashboard's overview and recall's shared SQL) and its own full text (tsvector and pg_trgm).
"""

from __future__ import annotations

from lore.store.postgres.db import PostgresDatabase
from lore.store.postgres.search import PostgresSearch
from lore.store.sql.store import SQLStore


class PostgresStore(SQLStore[PostgresDatabase]):
    def __init__(self, db: PostgresDatabase) -> None:
        super().__init__(db, PostgresSearch(db))

    @classmethod
    def open(cls, url: str) -> PostgresStore:
        return cls(PostgresDatabase.open(url))


__all__ = ["PostgresStore"]
