"""Counts and lists the dashboard shows across aggregates; read-only queries over the graph and
the job tables."""

from __future__ import annotations

from lore.domain.graph import ITEM_KINDS, Node
from lore.domain.jobs import JobStatus
from lore.store.base import ItemFilter
from lore.store.sql import Database
from lore.store.sql.graph import item_clause, node_from_row

_ITEM_KINDS_SQL = ", ".join(f"'{kind}'" for kind in ITEM_KINDS)
# Current items that need a person: flagged by drift check, or drafts of low confidence.
_REVIEW_WHERE = (
    f"project_id = ? AND kind IN ({_ITEM_KINDS_SQL}) AND valid_to IS NULL"
    " AND (status = 'review' OR (status = 'draft' AND confidence < ?))"
)


class SQLOverview:
    def __init__(self, db: Database) -> None:
        self.db = db

    def item_counts(self) -> dict[int, int]:
        rows = self.db.conn.execute(
            "SELECT project_id, count(*) FROM nodes"
            f" WHERE kind IN ({_ITEM_KINDS_SQL}) AND valid_to IS NULL GROUP BY project_id"
        ).fetchall()
        return {int(row[0]): int(row[1]) for row in rows}

    def schema_keys(self, project_id: int, where: ItemFilter = ItemFilter()) -> dict[str, int]:
        clause, params = item_clause(project_id, where, self.db.dialect)
        rows = self.db.conn.execute(
            f"SELECT coalesce(schema_key, ''), count(*) FROM nodes WHERE {clause}"
            " GROUP BY coalesce(schema_key, '') ORDER BY 1",
            params,
        ).fetchall()
        return {str(row[0]): int(row[1]) for row in rows}

    def review_items(
        self, project_id: int, *, below_confidence: float, limit: int = 50, offset: int = 0
    ) -> list[Node]:
        rows = self.db.conn.execute(
            f"SELECT * FROM nodes WHERE {_REVIEW_WHERE}"
            " ORDER BY status = 'review' DESC, created_at DESC, id DESC LIMIT ? OFFSET ?",
            (project_id, below_confidence, limit, offset),
        ).fetchall()
        return [node_from_row(row) for row in rows]

    def count_review_items(self, project_id: int, *, below_confidence: float) -> int:
        row = self.db.conn.execute(
            f"SELECT count(*) FROM nodes WHERE {_REVIEW_WHERE}", (project_id, below_confidence)
        ).fetchone()
        return int(row[0])

    def job_counts(self, project_id: int | None = None) -> dict[JobStatus, int]:
        where, params = (
            ("WHERE project_id = ?", (project_id,)) if project_id is not None else ("", ())
        )
        rows = self.db.conn.execute(
            f"SELECT status, count(*) FROM jobs {where} GROUP BY status", params
        ).fetchall()
        found = {JobStatus(row[0]): int(row[1]) for row in rows}
        return {status: found.get(status, 0) for status in JobStatus}

    def activity(self, project_id: int, since: float) -> dict[str, dict[str, int]]:
        # (table, its time, its filter); an event's time is the index's expression.
        counted = {
            "events": ("events", "coalesce(occurred_at, created_at)", ""),
            "sessions": ("sessions", "created_at", ""),
            "items": ("nodes", "created_at", f" AND kind IN ({_ITEM_KINDS_SQL})"),
        }
        return {
            what: {
                str(row[0]): int(row[1])
                for row in self.db.conn.execute(
                    f"SELECT {self.db.dialect.utc_day(at)} AS day, count(*) FROM {table}"
                    f" WHERE project_id = ? AND {at} >= ?{extra} GROUP BY day",
                    (project_id, since),
                )
            }
            for what, (table, at, extra) in counted.items()
        }
