"""The pipeline's lookups over stored items: the current items a new draft may duplicate, and
folding a committed repeat into the older item it repeats."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from lore.domain.graph import Node
from lore.store.sql import Connection, Database
from lore.store.sql.graph import REINFORCEMENT, node_from_row


class SQLItemMatches:
    def __init__(self, db: Database) -> None:
        self.db = db

    def exact(self, project_id: int, hashes: Sequence[str], hints: Sequence[str]) -> list[Node]:
        if not hashes and not hints:
            return []
        matches: list[str] = []
        params: list[str] = []
        for column, values in (("content_hash", hashes), ("dedup_hint", hints)):
            if values:
                matches.append(f"{column} IN ({_marks(values)})")
                params.extend(values)
        rows = self.db.conn.execute(
            "SELECT * FROM nodes WHERE project_id = ? AND kind IN ('semantic', 'procedural')"
            f" AND valid_to IS NULL AND ({' OR '.join(matches)}) ORDER BY id",
            (project_id, *params),
        ).fetchall()
        return [node_from_row(row) for row in rows]

    def fold_merges(
        self, project_id: int, now: float, node_ids: Sequence[int] | None = None
    ) -> int:
        with self.db.write() as conn:
            # Set by the Dedup stage on a draft that repeats a stored item (pipeline.stages.dedup).
            action = self.db.dialect.json_text("data", "dedup.action")
            sql = (
                "SELECT * FROM nodes WHERE project_id = ? AND valid_to IS NULL"
                f" AND {action} = 'merge'"
            )
            params: tuple[object, ...] = (project_id,)
            if node_ids is not None:
                if not node_ids:
                    return 0
                sql += f" AND id IN ({_marks(node_ids)})"
                params = (*params, *node_ids)
            folded = 0
            for repeat in conn.execute(sql + " ORDER BY id", params).fetchall():
                folded += _fold(conn, repeat, now)
        return folded


def _fold(conn: Connection, repeat: Any, now: float) -> int:
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
        "INSERT INTO node_events (node_id, event_id, quote)"
        " SELECT ?, event_id, quote FROM node_events WHERE node_id = ? ON CONFLICT DO NOTHING",
        (older["id"], repeat["id"]),
    )
    conn.execute(
        "UPDATE nodes SET valid_to = ?, superseded_by = ?, data = ?, updated_at = ? WHERE id = ?",
        (now, older["id"], json.dumps(data), now, repeat["id"]),
    )
    return 1


def _union(first: str, second: str) -> str:
    return json.dumps(sorted(set(json.loads(first)) | set(json.loads(second))))


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))
