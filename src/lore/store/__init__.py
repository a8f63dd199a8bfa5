"""Persistence behind one interface. ``open_store`` picks the backend from the settings."""

from __future__ import annotations

from lore.config import Settings, is_postgres
from lore.store.base import Store


def open_store(settings: Settings) -> Store:
    """PostgreSQL when ``database_url`` is a ``postgresql://`` URL, else the SQLite file."""
    if is_postgres(settings.database):
        from lore.store.postgres import PostgresStore

        return PostgresStore.open(settings.database)
    from lore.store.sqlite import SQLiteStore

    return SQLiteStore.open(settings.db_path)


__all__ = ["Store", "open_store"]
