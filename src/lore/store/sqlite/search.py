"""Recall's SQL: the FTS5 indexes (``0300_recall.sql``), candidate rows, link walks, the
episode windows recall keeps as ``source`` nodes, and the reads the brain is built from.

The project is a hard filter in every query: full-text queries carry it as a ``scope`` token
(``p<id>``) inside the MATCH expression, everything else as ``project_id = ?``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from lore.domain import Event
from lore.domain.graph import LinkKind, NodeKind, content_hash
from lore.store.base import RecallFilter, RecallRow, TextToEmbed, WindowDraft
from lore.store.sql.rows import event_from_row
from lore.store.sqlite.db import Database

# Candidates are looked up by id: NOT INDEXED keeps the planner from scanning a project's
# nodes through nodes_by_project instead.
ROW_COLUMNS = (
    "n.id, n.kind, n.type, n.title, n.body, n.data, n.schema_key, n.status, n.confidence,"
    " n.importance, n.files, n.tags, n.session_id, n.created_at, n.updated_at, n.valid_to,"
    " n.last_reinforced_at, n.access_count, n.last_access_at, n.reward_sum, n.reward_count,"
    " (SELECT group_concat(event_id) FROM node_events WHERE node_id = n.id) AS event_ids"
)
# Approved items first, then what the extractor rated important and sure, then the newest.
STANDING_ORDER = (
    "(n.status = 'approved') DESC, coalesce(n.importance, 0.5) DESC,"
    " coalesce(n.confidence, 0.5) DESC, coalesce(n.last_reinforced_at, n.updated_at) DESC,"
    " n.id DESC"
)


# Kinds few nodes have: asked for alone, their ``scope`` tokens narrow the MATCH cheaply.
SPARSE_KINDS = frozenset({"tag", "intent", "subgoal"})
# Full-text rows read at most per query (the lexical budget keeps matches under this), and the
# extra rows checked per step when filtering them by project and filter.
MATCHED_ROWS = 5000
ADMIT_SLACK = 20
# Rows read first, as a multiple of the rows wanted (enough when one project holds them).
FIRST_READ = 4


class SQLiteSearch:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _tuples(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows as plain tuples: cheaper than ``sqlite3.Row`` on the hot paths."""
        cursor = self.db.conn.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, params).fetchall()

    def version(self, project_id: int) -> int:
        rows = self._tuples(
            "SELECT version FROM recall_versions WHERE project_id = ?", (project_id,)
        )
        return int(rows[0][0]) if rows else 0

    def node_kinds(self, project_id: int) -> dict[int, str]:
        return dict(self._tuples("SELECT id, kind FROM nodes WHERE project_id = ?", (project_id,)))

    def kinds_of(self, node_ids: Sequence[int]) -> dict[int, str]:
        marks = ",".join("?" * len(node_ids))
        return dict(self._tuples(f"SELECT id, kind FROM nodes WHERE id IN ({marks})", node_ids))

    def matching_ids(self, project_id: int, where: RecallFilter) -> list[int]:
        clause, params = recall_clause(project_id, where)
        return [row[0] for row in self._tuples(f"SELECT n.id FROM nodes n WHERE {clause}", params)]

    def lexical(
        self, project_id: int, match: str, where: RecallFilter, limit: int
    ) -> dict[int, float]:
        expression = f"text : ({match})"
        if set(where.kinds) <= SPARSE_KINDS:
            # Few nodes have these kinds: their tokens make the MATCH cheaper, not dearer.
            kinds = " OR ".join(f"k{kind}" for kind in where.kinds)
            expression = f"scope : ({kinds}) AND {expression}"
        sql = (
            "SELECT rowid, bm25(node_fts, 1.0, 0.0) AS score FROM node_fts"
            " WHERE node_fts MATCH ? ORDER BY score LIMIT ?"
        )
        return self._best_admitted(project_id, sql, expression, where, limit)

    def substring(
        self, project_id: int, match: str, where: RecallFilter, limit: int
    ) -> dict[int, float]:
        sql = (
            "SELECT rowid, bm25(node_trigram) AS score FROM node_trigram"
            " WHERE node_trigram MATCH ? ORDER BY score LIMIT ?"
        )
        return self._best_admitted(project_id, sql, match, where, limit)

    def _best_admitted(
        self, project_id: int, sql: str, match: str, where: RecallFilter, limit: int
    ) -> dict[int, float]:
        """The best ``limit`` rows of a full-text ``sql`` that ``_admitted`` keeps: a few
        times the limit is read first, and all matches only when too few of those are kept
        (other projects' rows ranked first)."""
        first = self._tuples(sql, (match, FIRST_READ * limit))
        kept = self._admitted(project_id, first, where, limit)
        if len(kept) < limit and len(first) == FIRST_READ * limit:
            kept = self._admitted(
                project_id, self._tuples(sql, (match, MATCHED_ROWS)), where, limit
            )
        return kept

    def _admitted(
        self,
        project_id: int,
        ranked: Sequence[tuple[int, float]],
        where: RecallFilter,
        limit: int,
    ) -> dict[int, float]:
        """The first ``limit`` of ``ranked`` (rowid, bm25) that are in the project and pass the
        filter, with positive scores. The full-text tables hold every project: matching across
        them and filtering the best rows costs less than a project token ANDed into the MATCH,
        which makes FTS5 walk the project's whole document list."""
        clause, params = recall_clause(project_id, where)
        kept: dict[int, float] = {}
        step = limit + ADMIT_SLACK
        for start in range(0, len(ranked), step):
            chunk = ranked[start : start + step]
            ids = [row[0] for row in chunk]
            admitted = {
                row[0]
                for row in self._tuples(
                    f"SELECT n.id FROM nodes n NOT INDEXED WHERE n.id IN ({_marks(ids)})"
                    f" AND {clause}",
                    [*ids, *params],
                )
            }
            for node_id, score in chunk:
                if node_id in admitted:
                    kept[node_id] = -score
                    if len(kept) == limit:
                        return kept
        return kept

    def max_node_id(self) -> int:
        rows = self._tuples("SELECT max(id) FROM nodes")
        return int(rows[0][0] or 0)

    def match_counts(self, expressions: Sequence[str], cap: int) -> list[int]:
        counts = []
        for expression in expressions:
            rows = self._tuples(
                "SELECT count(*) FROM (SELECT rowid FROM node_fts WHERE node_fts MATCH ? LIMIT ?)",
                (f"text : ({expression})", cap + 1),
            )
            counts.append(int(rows[0][0]))
        return counts

    def rows(
        self, project_id: int, node_ids: Sequence[int], where: RecallFilter | None = None
    ) -> list[RecallRow]:
        if not node_ids:
            return []
        if where is None:
            clause, params = "n.project_id = ?", [project_id]
        else:
            clause, params = recall_clause(project_id, where)
        marks = ",".join("?" * len(node_ids))
        rows = self._tuples(
            f"SELECT {ROW_COLUMNS} FROM nodes n NOT INDEXED WHERE n.id IN ({marks}) AND {clause}",
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
            self._tuples(
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
        rows = self._tuples(
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
        clause, params = recall_clause(project_id, where)
        order = "n.updated_at DESC, n.id DESC" if recent else STANDING_ORDER
        rows = self.db.conn.execute(
            f"SELECT {ROW_COLUMNS} FROM nodes n WHERE {clause} ORDER BY {order} LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [recall_row(row) for row in rows]

    def fingerprint(self, project_id: int) -> str:
        items = self.db.conn.execute(
            "SELECT count(*), max(updated_at), total(id) FROM nodes"
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
        rows = self.db.conn.execute(
            "SELECT json_extract(data, '$.centre'), id, body FROM nodes"
            " WHERE session_id = ? AND kind = 'source' AND json_extract(data, '$.centre')"
            " IS NOT NULL",
            (session_id,),
        ).fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    def window_sessions(self, project_id: int) -> list[int]:
        rows = self.db.conn.execute(
            "SELECT DISTINCT session_id FROM nodes WHERE project_id = ? AND kind = 'source'"
            " AND json_extract(data, '$.centre') IS NOT NULL ORDER BY session_id",
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


def recall_clause(project_id: int, where: RecallFilter) -> tuple[str, list[Any]]:
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
            f"EXISTS (SELECT 1 FROM json_each(n.tags) WHERE lower(value) IN ({_marks(where.tags)}))"
        )
        params.extend(tag.lower() for tag in where.tags)
    if where.files:
        clauses.append(_files_clause(len(where.files)))
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
    conn: sqlite3.Connection,
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
        cursor = conn.execute(
            "INSERT INTO nodes (project_id, kind, body, data, content_hash, session_id,"
            " created_at, updated_at) VALUES (?, 'source', ?, ?, ?, ?, ?, ?)",
            (project_id, window.text, data, digest, session_id, window.happened_at, now),
        )
        assert cursor.lastrowid is not None
        node_id = cursor.lastrowid
    else:
        conn.execute(
            "UPDATE nodes SET body = ?, data = ?, content_hash = ?, created_at = ?,"
            " updated_at = ? WHERE id = ?",
            (window.text, data, digest, window.happened_at, now, node_id),
        )
        conn.execute("DELETE FROM node_events WHERE node_id = ?", (node_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO node_events (node_id, event_id) VALUES (?, ?)",
        [(node_id, event_id) for event_id in window.event_ids],
    )
    return node_id


def _files_clause(count: int) -> str:
    one = "(value = ? OR substr(value, -?) = ? OR substr(value, 1, ?) = ?)"
    return f"EXISTS (SELECT 1 FROM json_each(n.files) WHERE {' OR '.join([one] * count)})"


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))
