"""The pipeline's lookups over stored items: the current items a new draft may duplicate, and
folding a committed repeat into the older item it repeats."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from lore.domain.graph import Node
from lore.store.sqlite.db import Database
from lore.store.sqlite.graph import REINFORCEMENT, node_from_row

# Set by the Dedup stage on a draft that repeats a stored item (see lore.pipeline.stages.dedup).
_PENDING_MERGE = "json_extract(data, '$.dedup.action') = 'merge'"


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
            (project_id, json.dumps(list(hashes)), json.dumps(list(hints))),
        ).fetchall()
        return [node_from_row(row) for row in rows]

    def fold_merges(
        self, project_id: int, now: float, node_ids: Sequence[int] | None = None
    ) -> int:
        with self.db.write() as conn:
            sql = f"SELECT * FROM nodes WHERE project_id = ? AND valid_to IS NULL AND {_PENDING_MERGE}"
            params: tuple[object, ...] = (project_id,)
            if node_ids is not None:
                sql += " AND id IN (SELECT value FROM json_each(?))"
                params = (*params, json.dumps(list(node_ids)))
            folded = 0
            for repeat in conn.execute(sql + " ORDER BY id", params).fetchall():
                folded += _fold(conn, repeat, now)
        return folded


def _fold(conn: sqlite3.Connection, repeat: sqlite3.Row, now: float) -> int:
    """Fold one repeat into its older item: the item is reinforced and lists the repeat in
    ``merged_from``, takes its evidence, files and tags; the repeat's validity ends there."""
    data = json.loads(repeat["data"])
    older = conn.execute(
        "SELECT * FROM nodes WHERE id = ? AND project_id = ? AND valid_to IS NULL",
        (data["dedup"]["node"], repeat["project_id"]),
    ).fetchone()
    data["dedup"]["action"] = "merged" if older is not None else "kept"
    if older is None:  # the older item was superseded meanwhile: the repeat stands on its own
        conn.execute("UPDATE nodes SET data = ? WHERE id = ?", (json.dumps(data), repeat["id"]))
        return 0
    best = max(older["confidence"] or 0.0, repeat["confidence"] or 0.0)
    conn.execute(
        "UPDATE nodes SET confidence = ?, merged_from = ?, files = ?, tags = ?,"
        " last_reinforced_at = ?, updated_at = ? WHERE id = ?",
        (
            min(1.0, best + REINFORCEMENT * (1.0 - best)),
            json.dumps([*json.loads(older["merged_from"]), repeat["id"]]),
            _union(older["files"], repeat["files"]),
            _union(older["tags"], repeat["tags"]),
            now,
            now,
            older["id"],
        ),
    )
    conn.execute(
        "INSERT OR IGNORE INTO node_events (node_id, event_id, quote)"
        " SELECT ?, event_id, quote FROM node_events WHERE node_id = ?",
        (older["id"], repeat["id"]),
    )
    conn.execute(
        "UPDATE nodes SET valid_to = ?, superseded_by = ?, data = ?, updated_at = ? WHERE id = ?",
        (now, older["id"], json.dumps(data), now, repeat["id"]),
    )
    return 1


def _union(first: str, second: str) -> str:
    return json.dumps(sorted(set(json.loads(first)) | set(json.loads(second))))
