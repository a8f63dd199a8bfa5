"""The pipeline's lookups over stored items: the current items a new draft may duplicate."""

from __future__ import annotations

import json
from collections.abc import Sequence

from lore.domain.graph import Node
from lore.store.sqlite.db import Database
from lore.store.sqlite.graph import node_from_row


class SQLiteItemMatches:
    def __init__(self, db: Database) -> None:
        self.db = db

    def exact(self, project_id: int, hashes: Sequence[str], hints: Sequence[str]) -> list[Node]:
        if not hashes and not hints:
            return []
        rows = self.db.conn.execute(
            "SELECT * FROM nodes WHERE project_id = ? AND kind IN ('semantic', 'procedural')"
            " AND valid_to IS NULL AND (content_hash IN (SELECT value FROM json_each(?))"
            " OR dedup_hint IN (SELECT value FROM json_each(?))) ORDER BY id",
            (project_id, _json(hashes), _json(hints)),
        ).fetchall()
        return [node_from_row(row) for row in rows]


def _json(values: Sequence[str]) -> str:
    return json.dumps(list(values))
