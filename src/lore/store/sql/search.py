"""Recall's SQL both engines share: candidate rows, link walks, the episode windows recall keeps
as ``source`` nodes, and the reads the brain is built from. Full text is each engine's own
(``lore.store.sqlite.search``: FTS5; ``lore.store.postgres.search``: tsvector and pg_trgm),
in a subclass that adds ``lexical``, ``substring`` and ``match_counts``.

The project is a hard filter in every query (``project_id = ?``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import Any

from lore.domain import Event
from lore.domain.graph import LinkKind, NodeKind, content_hash
from lore.store.base import RecallFilter, RecallRow, TextToEmbed, WindowDraft
from lore.store.sql import Connection, Database, Dialect
from lore.store.sql.rows import event_from_row

# Approved items first, then what the extractor rated important and sure, then the newest.
STANDING_ORDER = (
    "(n.status = 'approved') DESC, coalesce(n.importance, 0.5) DESC,"
    " coalesce(n.confidence, 0.5) DESC, coalesce(n.last_reinforced_at, n.updated_at) DESC,"
    " n.id DESC"
)


def row_columns(dialect: Dialect) -> str:
    """The columns of a ``RecallRow`` over ``nodes n``, its evidence ids last."""
    return (
        "n.id, n.kind, n.type, n.title, n.body, n.data, n.schema_key, n.status, n.confidence,"
        " n.importance, n.files, n.tags, n.session_id, n.created_at, n.updated_at, n.valid_to,"
        " n.last_reinforced_at, n.access_count, n.last_access_at, n.reward_sum, n.reward_count,"
        f" (SELECT {dialect.id_list('event_id')} FROM node_events WHERE node_id = n.id)"
        " AS event_ids"
    )


class SQLSearch:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.row_columns = row_columns(db.dialect)

    def version(self, project_id: int) -> int:
        rows = self.db.tuples(
            "SELECT version FROM recall_versions WHERE project_id = ?", (project_id,)
        )
        return int(rows[0][0]) if rows else 0

    def node_kinds(self, project_id: int) -> dict[int, str]:
        return dict(
            self.db.tuples("SELECT id, kind FROM nodes WHERE project_id = ?", (project_id,))
        )

    def kinds_of(self, node_ids: Sequence[int]) -> dict[int, str]:
        marks = ",".join("?" * len(node_ids))
        return dict(self.db.tuples(f"SELECT id, kind FROM nodes WHERE id IN ({marks})", node_ids))

    def matching_ids(self, project_id: int, where: RecallFilter) -> list[int]:
        clause, params = recall_clause(project_id, where, self.db.dialect)
        return [
            row[0] for row in self.db.tuples(f"SELECT n.id FROM nodes n WHERE {clause}", params)
        ]

    def max_node_id(self) -> int:
        rows = self.db.tuples("SELECT max(id) FROM nodes")
        return int(rows[0][0] or 0)

    def rows(
        self, project_id: int, node_ids: Sequence[int], where: RecallFilter | None = None
    ) -> list[RecallRow]:
        if not node_ids:
            return []
        if where is None:
            clause, params = "n.project_id = ?", [project_id]
        else:
            clause, params = recall_clause(project_id, where, self.db.dialect)
        marks = ",".join("?" * len(node_ids))
        rows = self.db.tuples(
            f"SELECT {self.row_columns} FROM {self.db.dialect.by_id('nodes n')}"
            f" WHERE n.id IN ({marks}) AND {clause}",
            [*node_ids, *params],
        )
        return [recall_row(row) for row in rows]

    def neighbours(
        self,
        project_id: int,
        node_ids: Sequence[int],
        kinds: Sequence[LinkKind],
        max_degree: int,
    ) -> list[tuple[int, int, float, int]]:
        if not node_ids or not kinds:
            return []
        # No project filter here, so both directions are read from covering indexes: the
        # nodes given are the project's, and whatever the walk reaches goes through ``rows``,
        # which keeps the project's nodes only.
        degrees = dict(
            self.db.tuples(
                "SELECT node, count(*) FROM ("
                f"SELECT src AS node FROM links WHERE kind IN ({_marks(kinds)})"
                f" AND src IN ({_marks(node_ids)}) UNION ALL"
                f" SELECT dst FROM links WHERE dst IN ({_marks(node_ids)})"
                f" AND kind IN ({_marks(kinds)})) GROUP BY node",
                [*kinds, *node_ids, *node_ids, *kinds],
            )
        )
        spread = [node for node, degree in degrees.items() if degree <= max_degree]
        if not spread:
            return []
        rows = self.db.tuples(
            f"SELECT src, dst, weight FROM links WHERE kind IN ({_marks(kinds)})"
            f" AND src IN ({_marks(spread)}) UNION ALL"
            f" SELECT dst, src, weight FROM links WHERE dst IN ({_marks(spread)})"
            f" AND kind IN ({_marks(kinds)})",
            [*kinds, *spread, *spread, *kinds],
        )
        return [(node, other, weight, degrees[node]) for node, other, weight in rows]

    def ranked_items(
        self, project_id: int, where: RecallFilter, *, limit: int, recent: bool = False
    ) -> list[RecallRow]:
        clause, params = recall_clause(project_id, where, self.db.dialect)
        order = "n.updated_at DESC, n.id DESC" if recent else STANDING_ORDER
        rows = self.db.conn.execute(
            f"SELECT {self.row_columns} FROM nodes n WHERE {clause} ORDER BY {order} LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [recall_row(row) for row in rows]

    def fingerprint(self, project_id: int) -> str:
        items = self.db.conn.execute(
            "SELECT count(*), max(updated_at), CAST(sum(id) AS BIGINT) FROM nodes"
            " WHERE project_id = ? AND kind IN ('semantic', 'procedural')",
            (project_id,),
        ).fetchone()
        scan = self.db.conn.execute(
            "SELECT max(id) FROM events WHERE project_id = ? AND type = 'scan_result'",
            (project_id,),
        ).fetchone()
        state = json.dumps([project_id, *items, scan[0]])
        return hashlib.sha256(state.encode()).hexdigest()[:20]

    def latest_event(self, project_id: int, type: str) -> Event | None:
        row = self.db.conn.execute(
            "SELECT * FROM events WHERE project_id = ? AND type = ? ORDER BY id DESC LIMIT 1",
            (project_id, type),
        ).fetchone()
        return event_from_row(row) if row else None

    def session_windows(self, session_id: int) -> dict[int, tuple[int, str]]:
        centre = self.db.dialect.json_text("data", "centre")
        rows = self.db.conn.execute(
            f"SELECT CAST({centre} AS BIGINT), id, body FROM nodes"
            f" WHERE session_id = ? AND kind = 'source' AND {centre} IS NOT NULL",
            (session_id,),
        ).fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    def window_sessions(self, project_id: int) -> list[int]:
        rows = self.db.conn.execute(
            "SELECT DISTINCT session_id FROM nodes WHERE project_id = ? AND kind = 'source'"
            f" AND {self.db.dialect.json_text('data', 'centre')} IS NOT NULL ORDER BY session_id",
            (project_id,),
        ).fetchall()
        return [row[0] for row in rows]

    def put_windows(
        self, project_id: int, session_id: int, windows: Sequence[WindowDraft]
    ) -> list[int]:
        now = time.time()
        with self.db.write() as conn:
            stored = {
                centre: node_id for centre, (node_id, _) in self.session_windows(session_id).items()
            }
            ids = [_put_window(conn, project_id, session_id, w, stored, now) for w in windows]
        return ids

    def unembedded(
        self, project_id: int, model: str, kinds: Sequence[NodeKind], *, limit: int
    ) -> list[TextToEmbed]:
        marks = ",".join("?" * len(kinds))
        rows = self.db.conn.execute(
            "SELECT n.id, n.title, n.body FROM nodes n"
            " LEFT JOIN embeddings e ON e.node_id = n.id AND e.model = ?"
            f" WHERE n.project_id = ? AND n.kind IN ({marks}) AND e.node_id IS NULL"
            " ORDER BY n.id LIMIT ?",
            (model, project_id, *kinds, limit),
        ).fetchall()
        return [TextToEmbed(row[0], row[1], row[2]) for row in rows]


def recall_clause(project_id: int, where: RecallFilter, dialect: Dialect) -> tuple[str, list[Any]]:
    """The WHERE clause (over ``nodes n``) of a filter; see ``RecallFilter`` for the rules."""
    clauses = ["n.project_id = ?", f"n.kind IN ({_marks(where.kinds)})"]
    params: list[Any] = [project_id, *where.kinds]
    if where.types:
        clauses.append(f"n.type IN ({_marks(where.types)})")
        params.extend(where.types)
    if where.statuses:
        clauses.append(f"n.status IN ({_marks(where.statuses)})")
        params.extend(where.statuses)
    elif where.hidden:
        clauses.append(f"(n.status IS NULL OR n.status NOT IN ({_marks(where.hidden)}))")
        params.extend(where.hidden)
    if where.schema_key_prefix:
        # A prefix matches whole segments: root/backend matches root/backend/auth, not root/backends.
        prefix = where.schema_key_prefix.rstrip("/")
        clauses.append("(n.schema_key = ? OR substr(n.schema_key, 1, ?) = ?)")
        params.extend([prefix, len(prefix) + 1, prefix + "/"])
    if where.tags:
        clauses.append(
            f"EXISTS (SELECT 1 FROM {dialect.json_values('n.tags')}"
            f" WHERE lower(value) IN ({_marks(where.tags)}))"
        )
        params.extend(tag.lower() for tag in where.tags)
    if where.files:
        clauses.append(_files_clause(len(where.files), dialect))
        for path in where.files:
            path = path.strip("/")
            params.extend([path, len(path) + 1, "/" + path, len(path) + 1, path + "/"])
    for op, value in ((">=", where.since), ("<", where.until)):
        if value is not None:
            clauses.append(f"n.created_at {op} ?")
            params.append(value)
    if where.current:
        clauses.append("n.valid_to IS NULL")
    return " AND ".join(clauses), params


def recall_row(row: Sequence[Any]) -> RecallRow:
    """A row of ``ROW_COLUMNS`` (unpacked by position: recall reads a few hundred per query)."""
    (
        node_id, kind, type_, title, body, data, schema_key, status, confidence, importance,
        files, tags, session_id, created_at, updated_at, valid_to, last_reinforced_at,
        access_count, last_access_at, reward_sum, reward_count, events,
    ) = row  # fmt: skip
    return RecallRow(
        id=node_id,
        kind=kind,
        type=type_,
        title=title,
        body=body,
        schema_key=schema_key,
        status=status,
        confidence=confidence,
        importance=importance,
        session_id=session_id,
        created_at=created_at,
        updated_at=updated_at,
        valid_to=valid_to,
        last_reinforced_at=last_reinforced_at,
        access_count=access_count,
        last_access_at=last_access_at,
        reward_sum=reward_sum,
        reward_count=reward_count,
        event_ids=tuple(sorted(map(int, events.split(",")))) if events else (),
        data_json=data,
        files_json=files,
        tags_json=tags,
    )


def _put_window(
    conn: Connection,
    project_id: int,
    session_id: int,
    window: WindowDraft,
    stored: dict[int, int],
    now: float,
) -> int:
    data = json.dumps(
        {"window": list(window.event_ids), "centre": window.centre_event_id, "date": window.date}
    )
    digest = content_hash("source", "", window.text)
    node_id = stored.get(window.centre_event_id)
    # created_at is when the centre event happened: time filters and recency then speak of the
    # conversation, not of when it was indexed.
    if node_id is None:
        node_id = conn.execute(
            "INSERT INTO nodes (project_id, kind, body, data, content_hash, session_id,"
            " created_at, updated_at) VALUES (?, 'source', ?, ?, ?, ?, ?, ?) RETURNING id",
            (project_id, window.text, data, digest, session_id, window.happened_at, now),
        ).fetchone()[0]
    else:
        conn.execute(
            "UPDATE nodes SET body = ?, data = ?, content_hash = ?, created_at = ?,"
            " updated_at = ? WHERE id = ?",
            (window.text, data, digest, window.happened_at, now, node_id),
        )
        conn.execute("DELETE FROM node_events WHERE node_id = ?", (node_id,))
    conn.executemany(
        "INSERT INTO node_events (node_id, event_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(node_id, event_id) for event_id in window.event_ids],
    )
    return node_id


def _files_clause(count: int, dialect: Dialect) -> str:
    one = f"(value = ? OR {dialect.last_chars('value')} = ? OR substr(value, 1, ?) = ?)"
    return (
        f"EXISTS (SELECT 1 FROM {dialect.json_values('n.files')}"
        f" WHERE {' OR '.join([one] * count)})"
    )


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))
