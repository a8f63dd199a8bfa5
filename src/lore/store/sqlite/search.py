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
from lore.store.sqlite.db import Database
from lore.store.sqlite.rows import event_from_row

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


class SQLiteSearch:
    def __init__(self, db: Database) -> None:
        self.db = db

    def version(self, project_id: int) -> int:
        row = self.db.conn.execute(
            "SELECT version FROM recall_versions WHERE project_id = ?", (project_id,)
        ).fetchone()
        return int(row[0]) if row else 0

    def node_kinds(self, project_id: int) -> dict[int, str]:
        rows = self.db.conn.execute(
            "SELECT id, kind FROM nodes WHERE project_id = ?", (project_id,)
        ).fetchall()
        return {row[0]: row[1] for row in rows}

    def matching_ids(self, project_id: int, where: RecallFilter) -> list[int]:
        clause, params = recall_clause(project_id, where)
        rows = self.db.conn.execute(f"SELECT n.id FROM nodes n WHERE {clause}", params)
        return [row[0] for row in rows]

    def lexical(
        self, project_id: int, match: str, where: RecallFilter, limit: int
    ) -> dict[int, float]:
        scoped = f"scope : (p{project_id}) AND scope : ({_kind_tokens(where)}) AND ({match})"
        if where.only_kinds:
            # Hidden and superseded nodes are rare: ``rows`` drops them from the pool later,
            # which spares the join on the common path.
            sql = (
                "SELECT rowid, -bm25(node_fts, 1.0, 0.0) FROM node_fts WHERE node_fts MATCH ?"
                " ORDER BY bm25(node_fts, 1.0, 0.0) LIMIT ?"
            )
            params: list[Any] = [scoped, limit]
        else:
            clause, params = recall_clause(project_id, where)
            sql = (
                "SELECT f.rowid, -bm25(node_fts, 1.0, 0.0) FROM node_fts f"
                f" JOIN nodes n NOT INDEXED ON n.id = f.rowid WHERE node_fts MATCH ? AND {clause}"
                " ORDER BY bm25(node_fts, 1.0, 0.0) LIMIT ?"
            )
            params = [scoped, *params, limit]
        return {row[0]: row[1] for row in self.db.conn.execute(sql, params)}

    def term_documents(self, alternatives: Sequence[str]) -> list[int]:
        conn = self.db.conn
        _ensure_query_tokenizer(conn)
        conn.execute("DELETE FROM temp.recall_query")
        conn.executemany(
            "INSERT INTO temp.recall_query (rowid, text) VALUES (?, ?)", enumerate(alternatives)
        )
        tokens: dict[int, list[str]] = {}
        for doc, term in conn.execute("SELECT doc, term FROM temp.recall_query_terms"):
            tokens.setdefault(doc, []).append(term)
        terms = sorted({term for found in tokens.values() for term in found})
        counts = dict(
            conn.execute(
                f"SELECT term, doc FROM node_fts_terms WHERE term IN ({_marks(terms)})", terms
            ).fetchall()
        )
        return [
            min((counts.get(term, 0) for term in tokens.get(index, [])), default=0)
            for index in range(len(alternatives))
        ]

    def substring(
        self, project_id: int, match: str, where: RecallFilter, limit: int
    ) -> dict[int, float]:
        clause, params = recall_clause(project_id, where)
        rows = self.db.conn.execute(
            "SELECT t.rowid, -bm25(node_trigram) FROM node_trigram t"
            f" JOIN nodes n NOT INDEXED ON n.id = t.rowid WHERE node_trigram MATCH ? AND {clause}"
            " ORDER BY bm25(node_trigram) LIMIT ?",
            [match, *params, limit],
        )
        return {row[0]: row[1] for row in rows}

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
        rows = self.db.conn.execute(
            f"SELECT {ROW_COLUMNS} FROM nodes n NOT INDEXED WHERE n.id IN ({marks}) AND {clause}",
            [*node_ids, *params],
        ).fetchall()
        return [recall_row(row) for row in rows]

    def neighbours(
        self, project_id: int, node_ids: Sequence[int], kinds: Sequence[LinkKind]
    ) -> list[tuple[int, int, float]]:
        if not node_ids or not kinds:
            return []
        ids, kind_marks = ",".join("?" * len(node_ids)), ",".join("?" * len(kinds))
        rows = self.db.conn.execute(
            f"SELECT src, dst, weight FROM links WHERE project_id = ? AND kind IN ({kind_marks})"
            f" AND src IN ({ids}) UNION ALL"
            f" SELECT dst, src, weight FROM links WHERE project_id = ? AND kind IN ({kind_marks})"
            f" AND dst IN ({ids})",
            [project_id, *kinds, *node_ids, project_id, *kinds, *node_ids],
        )
        return [(row[0], row[1], row[2]) for row in rows]

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


def recall_row(row: sqlite3.Row) -> RecallRow:
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
        data=_json(data, {}),
        schema_key=schema_key,
        status=status,
        confidence=confidence,
        importance=importance,
        files=_json(files, []),
        tags=_json(tags, []),
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


def _json(text: str, empty: Any) -> Any:
    """Parsed JSON, without parsing the empty list or object most rows hold."""
    return type(empty)() if text in ("[]", "{}") else json.loads(text)


def _ensure_query_tokenizer(conn: sqlite3.Connection) -> None:
    """Per-connection scratch tables that run the index's tokenizer over query text, so query
    terms are looked up in ``node_fts_terms`` stemmed as they were indexed."""
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.recall_query USING fts5(text,"
        " tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.recall_query_terms"
        " USING fts5vocab(temp, recall_query, instance)"
    )


def _files_clause(count: int) -> str:
    one = "(value = ? OR substr(value, -?) = ? OR substr(value, 1, ?) = ?)"
    return f"EXISTS (SELECT 1 FROM json_each(n.files) WHERE {' OR '.join([one] * count)})"


def _kind_tokens(where: RecallFilter) -> str:
    return " OR ".join(f"k{kind}" for kind in where.kinds)


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))
