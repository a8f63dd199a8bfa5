"""Persistence behind one interface. ``open_store`` picks the backend from the settings."""

from __future__ import annotations

from lore.config import Settings
from lore.store.base import Store


def open_store(settings: Settings) -> Store:
    from lore.store.sqlite import SQLiteStore

    return SQLiteStore.open(settings.db_path)


__all__ = ["Store", "open_store"]
