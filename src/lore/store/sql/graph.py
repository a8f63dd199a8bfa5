"""The knowledge graph: typed nodes and links, changesets applied atomically, item queries.

A changeset's drafts refer to each other by ``ref``. Applying it maps every ref to a node id:
a new node, the stored tag of the same normalised label, or the stored node a draft is merged
into (``merge_into``, set by intent merging at commit and by the pipeline's Dedup).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lore.domain.graph import (
    ITEM_KINDS,
    Changeset,
    Evidence,
    ItemStatus,
    Link,
    LinkDraft,
    LinkKind,
    Node,
    NodeDraft,
    content_hash,
    normalise_label,
)
from lore.errors import NotFoundError, ValidationError
from lore.store.base import AppliedChangeset, ItemFilter
from lore.store.sql import Connection, Database, Dialect, like_escaped
from lore.store.sql.vectors import SQLVectors

log = logging.getLogger("lore.store")

UPDATABLE = frozenset(
    {
        "title",
        "body",
        "data",
        "type",
        "schema_key",
        "status",
        "confidence",
        "importance",
        "files",
        "tags",
        "dedup_hint",
    }
)
JSON_FIELDS = frozenset({"data", "files", "tags"})
# How much a merge (the same knowledge seen again) raises an item's confidence, towards 1.
REINFORCEMENT = 0.1


def node_from_row(row: Any) -> Node:
    return Node(
        id=row["id"],
        project_id=row["project_id"],
        kind=row["kind"],
        type=row["type"],
        title=row["title"],
        body=row["body"],
        data=json.loads(row["data"]),
        schema_key=row["schema_key"],
        status=row["status"],
        confidence=row["confidence"],
        importance=row["importance"],
        files=json.loads(row["files"]),
        tags=json.loads(row["tags"]),
        dedup_hint=row["dedup_hint"],
        content_hash=row["content_hash"],
        session_id=row["session_id"],
        job_id=row["job_id"],
        commit_from=row["commit_from"],
        commit_to=row["commit_to"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        superseded_by=row["superseded_by"],
        merged_from=json.loads(row["merged_from"]),
        last_reinforced_at=row["last_reinforced_at"],
        access_count=row["access_count"],
        last_access_at=row["last_access_at"],
        reward_sum=row["reward_sum"],
        reward_count=row["reward_count"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def link_from_row(row: Any) -> Link:
    return Link(
        id=row["id"],
        kind=row["kind"],
        src=row["src"],
        dst=row["dst"],
        weight=row["weight"],
        created_at=row["created_at"],
    )


def draft_hash(draft: NodeDraft) -> str:
    """Tags are keyed by their normalised label alone; other nodes by kind, title and body."""
    if draft.kind == "tag":
        return content_hash("tag", normalise_label(draft.title), "")
    return content_hash(draft.kind, draft.title, draft.body)


class SQLGraph:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._vectors = SQLVectors(db)

    def apply(
        self,
        project_id: int,
        changeset: Changeset,
        *,
        vectors: Mapping[str, NDArray[np.float32]] | None = None,
        embedding_model: str | None = None,
    ) -> AppliedChangeset:
        with self.db.write() as conn:
            applier = _Applier(conn, project_id, changeset, time.time())
            for draft in changeset.nodes:
                applier.node(draft)
            links = sum(applier.link(link) for link in changeset.links)
            if vectors and embedding_model:
                self._store_vectors(conn, project_id, applier.ids, vectors, embedding_model)
        return AppliedChangeset(
            ids=dict(applier.ids), created=applier.created, merged=applier.merged, links=links
        )

    def _store_vectors(
        self,
        conn: Connection,
        project_id: int,
        ids: Mapping[str, int],
        vectors: Mapping[str, NDArray[np.float32]],
        model: str,
    ) -> None:
        refs = [ref for ref in vectors if ref in ids]
        if not refs or not _model_fits(conn, project_id, model, len(vectors[refs[0]])):
            return
        matrix = np.vstack([np.asarray(vectors[ref], dtype=np.float32) for ref in refs])
        self._vectors.put(model, [ids[ref] for ref in refs], matrix)

    def get(self, node_id: int) -> Node:
        row = self.db.conn.execute("SELECT * FROM nodes WHERE id = ?", (node_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no node with id {node_id}")
        return node_from_row(row)

    def get_many(self, node_ids: Sequence[int]) -> list[Node]:
        marks = ",".join("?" * len(node_ids))
        rows = self.db.conn.execute(
            f"SELECT * FROM nodes WHERE id IN ({marks})", tuple(node_ids)
        ).fetchall()
        by_id = {row["id"]: node_from_row(row) for row in rows}
        return [by_id[node_id] for node_id in node_ids if node_id in by_id]

    def update(self, node_id: int, **fields: Any) -> Node:
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise ValidationError(f"cannot update {', '.join(sorted(unknown))}", sorted(unknown)[0])
        if fields:
            values = [json.dumps(v) if k in JSON_FIELDS else v for k, v in fields.items()]
            assignments = ", ".join(f"{name} = ?" for name in fields)
            with self.db.write() as conn:
                conn.execute(
                    f"UPDATE nodes SET {assignments}, updated_at = ? WHERE id = ?",
                    (*values, time.time(), node_id),
                )
        return self.get(node_id)

    def delete(self, node_ids: Sequence[int]) -> int:
        marks = ",".join("?" * len(node_ids))
        with self.db.write() as conn:
            cursor = conn.execute(f"DELETE FROM nodes WHERE id IN ({marks})", tuple(node_ids))
        return cursor.rowcount

    def links(self, node_id: int, *, kinds: Sequence[LinkKind] | None = None) -> list[Link]:
        sql = "SELECT * FROM links WHERE (src = ? OR dst = ?)"
        params: tuple[object, ...] = (node_id, node_id)
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            params = (*params, *kinds)
        rows = self.db.conn.execute(sql + " ORDER BY id", params).fetchall()
        return [link_from_row(row) for row in rows]

    def add_link(
        self, project_id: int, kind: LinkKind, src: int, dst: int, weight: float = 1.0
    ) -> None:
        with self.db.write() as conn:
            _insert_link(conn, project_id, kind, src, dst, weight, time.time())

    def items(
        self,
        project_id: int,
        where: ItemFilter = ItemFilter(),
        *,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Node]:
        clause, params = item_clause(project_id, where, self.db.dialect)
        rows = self.db.conn.execute(
            f"SELECT * FROM nodes WHERE {clause} ORDER BY created_at DESC, id DESC"
            " LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return [node_from_row(row) for row in rows]

    def count_items(self, project_id: int, where: ItemFilter = ItemFilter()) -> int:
        clause, params = item_clause(project_id, where, self.db.dialect)
        row = self.db.conn.execute(f"SELECT count(*) FROM nodes WHERE {clause}", params).fetchone()
        return int(row[0])

    def set_status(self, node_ids: Sequence[int], status: ItemStatus) -> int:
        marks = ",".join("?" * len(node_ids))
        with self.db.write() as conn:
            cursor = conn.execute(
                f"UPDATE nodes SET status = ?, updated_at = ? WHERE id IN ({marks})",
                (status, time.time(), *node_ids),
            )
        return cursor.rowcount

    def record_access(self, node_ids: Sequence[int], at: float | None = None) -> None:
        with self.db.write() as conn:
            conn.executemany(
                "UPDATE nodes SET access_count = access_count + 1, last_access_at = ? WHERE id = ?",
                [(at or time.time(), node_id) for node_id in node_ids],
            )

    def record_reward(self, node_ids: Sequence[int], reward: float) -> None:
        with self.db.write() as conn:
            conn.executemany(
                "UPDATE nodes SET reward_sum = reward_sum + ?, reward_count = reward_count + 1"
                " WHERE id = ?",
                [(reward, node_id) for node_id in node_ids],
            )

    def find_tag(self, project_id: int, label: str) -> Node | None:
        key = content_hash("tag", normalise_label(label), "")
        row = self.db.conn.execute(
            "SELECT * FROM nodes WHERE project_id = ? AND kind = 'tag' AND content_hash = ?"
            " ORDER BY id LIMIT 1",
            (project_id, key),
        ).fetchone()
        return node_from_row(row) if row else None

    def evidence(self, node_id: int) -> list[Evidence]:
        rows = self.db.conn.execute(
            "SELECT event_id, quote FROM node_events WHERE node_id = ? ORDER BY event_id",
            (node_id,),
        ).fetchall()
        return [Evidence(event_id=row[0], quote=row[1] or "") for row in rows]


class _Applier:
    """Applies one changeset inside the caller's transaction, remembering ref -> node id."""

    def __init__(self, conn: Connection, project_id: int, changeset: Changeset, now: float) -> None:
        self.conn = conn
        self.project_id = project_id
        self.changeset = changeset
        self.now = now
        self.ids: dict[str, int] = {}
        self.created: list[int] = []
        self.merged: dict[str, int] = {}

    def node(self, draft: NodeDraft) -> None:
        if draft.ref in self.ids:
            raise ValidationError(f"the changeset has two drafts named {draft.ref!r}", "ref")
        target = draft.merge_into if draft.merge_into is not None else self._same_tag(draft)
        if target is not None:
            self._fold(target, draft)
            self.ids[draft.ref] = self.merged[draft.ref] = target
            return
        node_id = self._insert(draft)
        self.ids[draft.ref] = node_id
        self.created.append(node_id)
        if draft.supersedes is not None:
            self._supersede(draft.supersedes, node_id)

    def link(self, link: LinkDraft) -> int:
        src, dst = self._resolve(link.src), self._resolve(link.dst)
        if src == dst:  # two drafts folded into one node
            return 0
        return _insert_link(self.conn, self.project_id, link.kind, src, dst, link.weight, self.now)

    def _resolve(self, end: str | int) -> int:
        if isinstance(end, str):
            if end not in self.ids:
                raise ValidationError(f"a link names {end!r}, which no draft has", "links")
            return self.ids[end]
        self._check_owned(end)
        return end

    def _same_tag(self, draft: NodeDraft) -> int | None:
        if draft.kind != "tag":
            return None
        row = self.conn.execute(
            "SELECT id FROM nodes WHERE project_id = ? AND kind = 'tag' AND content_hash = ?"
            " ORDER BY id LIMIT 1",
            (self.project_id, draft_hash(draft)),
        ).fetchone()
        return int(row[0]) if row else None

    def _insert(self, draft: NodeDraft) -> int:
        item = draft.kind in ITEM_KINDS
        reward = draft.data.get("reward")
        row = self.conn.execute(
            "INSERT INTO nodes (project_id, kind, type, title, body, data, schema_key, status,"
            " confidence, importance, files, tags, dedup_hint, content_hash, session_id, job_id,"
            " commit_from, commit_to, valid_from, reward_sum, reward_count, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?) RETURNING id",
            (
                self.project_id,
                draft.kind,
                draft.type,
                draft.title,
                draft.body,
                json.dumps(draft.data),
                draft.schema_key,
                draft.status or ("draft" if item else None),
                draft.confidence,
                draft.importance,
                json.dumps(draft.files),
                json.dumps(draft.tags),
                draft.dedup_hint,
                draft_hash(draft),
                self.changeset.session_id,
                self.changeset.job_id,
                draft.commit_from,
                draft.commit_to,
                self.now if item else None,
                float(reward) if reward is not None else 0.0,
                1 if reward is not None else 0,
                self.now,
                self.now,
            ),
        ).fetchone()
        node_id = int(row[0])
        self._add_evidence(node_id, draft)
        return node_id

    def _fold(self, target: int, draft: NodeDraft) -> None:
        """The draft is knowledge the target already holds: reinforce the target (items), or
        take the draft's merged description (intents)."""
        node = self._check_owned(target)
        if draft.kind == "intent" and draft.title:
            self.conn.execute(
                "UPDATE nodes SET title = ?, body = ?, updated_at = ? WHERE id = ?",
                (draft.title, draft.body, self.now, target),
            )
        elif node["kind"] in ITEM_KINDS:
            self._reinforce(node, draft)
        self._add_evidence(target, draft)

    def _reinforce(self, node: Any, draft: NodeDraft) -> None:
        best = max(node["confidence"] or 0.0, draft.confidence or 0.0)
        files = sorted(set(json.loads(node["files"])) | set(draft.files))
        tags = sorted(set(json.loads(node["tags"])) | set(draft.tags))
        self.conn.execute(
            "UPDATE nodes SET confidence = ?, files = ?, tags = ?, last_reinforced_at = ?,"
            " updated_at = ? WHERE id = ?",
            (
                min(1.0, best + REINFORCEMENT * (1.0 - best)),
                json.dumps(files),
                json.dumps(tags),
                self.now,
                self.now,
                node["id"],
            ),
        )

    def _supersede(self, old: int, new: int) -> None:
        self._check_owned(old)
        self.conn.execute(
            "UPDATE nodes SET valid_to = ?, superseded_by = ?, updated_at = ? WHERE id = ?",
            (self.now, new, self.now, old),
        )
        _insert_link(self.conn, self.project_id, "supersedes", new, old, 1.0, self.now)

    def _add_evidence(self, node_id: int, draft: NodeDraft) -> None:
        # Evidence naming an event that is not stored is dropped rather than failing the commit.
        self.conn.executemany(
            "INSERT INTO node_events (node_id, event_id, quote)"
            " SELECT ?, id, ? FROM events WHERE id = ? ON CONFLICT DO NOTHING",
            [(node_id, evidence.quote, evidence.event_id) for evidence in draft.evidence],
        )

    def _check_owned(self, node_id: int) -> Any:
        row = self.conn.execute(
            "SELECT * FROM nodes WHERE id = ? AND project_id = ?", (node_id, self.project_id)
        ).fetchone()
        if row is None:
            raise ValidationError(f"node {node_id} is not in this project", "changeset")
        return row


def _insert_link(
    conn: Connection,
    project_id: int,
    kind: LinkKind,
    src: int,
    dst: int,
    weight: float,
    now: float,
) -> int:
    cursor = conn.execute(
        "INSERT INTO links (project_id, kind, src, dst, weight, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (project_id, kind, src, dst, weight, now),
    )
    return cursor.rowcount


def _model_fits(conn: Connection, project_id: int, model: str, dim: int) -> bool:
    """Record the project's embedding model on its first vectors. Vectors of another model
    are not stored (they would not be comparable); the nodes can be re-embedded later."""
    row = conn.execute(
        "SELECT embedding_model, embedding_dim FROM projects WHERE id = ?", (project_id,)
    ).fetchone()
    if row["embedding_model"] is None:
        conn.execute(
            "UPDATE projects SET embedding_model = ?, embedding_dim = ? WHERE id = ?",
            (model, dim, project_id),
        )
        return True
    if row["embedding_model"] == model and row["embedding_dim"] == dim:
        return True
    log.warning(
        "project %s embeds with %s (dim %s); vectors of %s (dim %s) were not stored",
        project_id,
        row["embedding_model"],
        row["embedding_dim"],
        model,
        dim,
    )
    return False


def item_clause(project_id: int, where: ItemFilter, dialect: Dialect) -> tuple[str, list[Any]]:
    clauses = ["project_id = ?", f"kind IN ({','.join('?' * len(where.kinds))})"]
    params: list[Any] = [project_id, *where.kinds]
    for column, values in (("type", where.types), ("status", where.statuses)):
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    for column, values in (("tags", where.tags), ("files", where.files)):
        if values:
            clauses.append(
                f"EXISTS (SELECT 1 FROM {dialect.json_values('nodes.' + column)} WHERE value IN"
                f" ({','.join('?' * len(values))}))"
            )
            params.extend(values)
    if where.schema_key_prefix:
        # A prefix matches whole path segments: root/backend matches root/backend/auth.
        prefix = where.schema_key_prefix.rstrip("/")
        clauses.append("(schema_key = ? OR schema_key LIKE ? ESCAPE '\\')")
        params.extend([prefix, like_escaped(prefix) + "/%"])
    for column, op, value in (
        ("session_id", "=", where.session_id),
        ("created_at", ">=", where.since),
        ("created_at", "<", where.until),
    ):
        if value is not None:
            clauses.append(f"{column} {op} ?")
            params.append(value)
    if where.current:
        clauses.append("valid_to IS NULL")
    return " AND ".join(clauses), params
