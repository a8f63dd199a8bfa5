"""The SQLite backend: the embedded default."""

from __future__ import annotations

from pathlib import Path

from lore.store.sql.store import SQLStore
from lore.store.sqlite.db import Database
from lore.store.sqlite.search import SQLiteSearch


class SQLiteStore(SQLStore[Database]):
    def __init__(self, db: Database) -> None:
        super().__init__(db, SQLiteSearch(db))

    @classmethod
    def open(cls, path: Path) -> SQLiteStore:
        return cls(Database.open(path))


__all__ = ["SQLiteStore"]
