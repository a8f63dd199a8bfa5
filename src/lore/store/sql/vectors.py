"""Embeddings as float32 blobs: one row per node, tagged with the model and dimension that made it.

Recall loads a project's vectors as one matrix and searches it with numpy or its approximate
index (lore.recall.ann); a matrix is built from one query with a single ``frombuffer``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from lore.errors import EmbeddingMismatchError, ValidationError
from lore.store.base import TextToEmbed
from lore.store.sql import Database

# Ids per IN list (SQLite allows 32,766 variables in one statement, PostgreSQL 65,535).
IN_LIST = 10_000


class SQLVectors:
    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, model: str, node_ids: Sequence[int], vectors: NDArray[np.float32]) -> None:
        matrix = _as_matrix(node_ids, vectors)
        dim = matrix.shape[1]
        with self.db.write() as conn:
            conn.executemany(
                "INSERT INTO embeddings (node_id, model, dim, vector) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (node_id) DO UPDATE SET model = excluded.model,"
                " dim = excluded.dim, vector = excluded.vector",
                [
                    (node_id, model, dim, row.tobytes())
                    for node_id, row in zip(node_ids, matrix, strict=True)
                ],
            )

    def put_events(
        self, model: str, event_ids: Sequence[int], vectors: NDArray[np.float32]
    ) -> None:
        matrix = _as_matrix(event_ids, vectors).astype(np.float16)
        with self.db.write() as conn:
            conn.executemany(
                "INSERT INTO event_vectors (event_id, model, vector) VALUES (?, ?, ?)"
                " ON CONFLICT (event_id) DO UPDATE SET model = excluded.model,"
                " vector = excluded.vector",
                [
                    (event_id, model, row.tobytes())
                    for event_id, row in zip(event_ids, matrix, strict=True)
                ],
            )

    def of_events(self, event_ids: Sequence[int], model: str) -> dict[int, NDArray[np.float32]]:
        found: dict[int, NDArray[np.float32]] = {}
        for ids in _chunks(event_ids):
            rows = self.db.conn.execute(
                "SELECT event_id, vector FROM event_vectors WHERE model = ?"
                f" AND event_id IN ({','.join('?' * len(ids))})",
                (model, *ids),
            ).fetchall()
            found.update(
                (row[0], np.frombuffer(row[1], dtype=np.float16).astype(np.float32)) for row in rows
            )
        return found

    def get(
        self, node_ids: Sequence[int], *, model: str | None = None
    ) -> dict[int, NDArray[np.float32]]:
        found: dict[int, NDArray[np.float32]] = {}
        for ids in _chunks(node_ids):
            sql = f"SELECT node_id, vector FROM embeddings WHERE node_id IN ({','.join('?' * len(ids))})"
            params: tuple[object, ...] = tuple(ids)
            if model is not None:
                sql, params = sql + " AND model = ?", (*params, model)
            rows = self.db.conn.execute(sql, params).fetchall()
            found.update((row[0], np.frombuffer(row[1], dtype=np.float32)) for row in rows)
        return found

    def delete(self, node_ids: Sequence[int]) -> int:
        marks = ",".join("?" * len(node_ids))
        with self.db.write() as conn:
            cursor = conn.execute(
                f"DELETE FROM embeddings WHERE node_id IN ({marks})", tuple(node_ids)
            )
        return cursor.rowcount

    def count(self, project_id: int, *, model: str | None = None) -> int:
        sql = "SELECT count(*) FROM embeddings e JOIN nodes n ON n.id = e.node_id WHERE n.project_id = ?"
        params: tuple[object, ...] = (project_id,)
        if model is not None:
            sql, params = sql + " AND e.model = ?", (*params, model)
        return int(self.db.conn.execute(sql, params).fetchone()[0])

    def all_for_project(
        self,
        project_id: int,
        kinds: Sequence[str] | None = None,
        *,
        model: str | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        sql = (
            "SELECT e.node_id, e.dim, e.vector FROM embeddings e JOIN nodes n ON n.id = e.node_id"
            " WHERE n.project_id = ? AND e.model = coalesce(?,"
            " (SELECT embedding_model FROM projects WHERE id = ?), e.model)"
        )
        params: tuple[object, ...] = (project_id, model, project_id)
        if kinds:
            sql += f" AND n.kind IN ({','.join('?' * len(kinds))})"
            params = (*params, *kinds)
        rows = self.db.conn.execute(sql + " ORDER BY e.node_id", params).fetchall()
        return _stack(rows)

    def page(
        self, project_id: int, model: str, *, after_id: int, limit: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        rows = self.db.conn.execute(
            "SELECT e.node_id, e.dim, e.vector FROM embeddings e JOIN nodes n ON n.id = e.node_id"
            " WHERE n.project_id = ? AND e.model = ? AND e.node_id > ?"
            " ORDER BY e.node_id LIMIT ?",
            (project_id, model, after_id, limit),
        ).fetchall()
        return _stack(rows)

    def ids_of_kinds(
        self, project_id: int, model: str, kinds: Sequence[str], *, limit: int
    ) -> list[int]:
        marks = ",".join("?" * len(kinds))
        rows = self.db.conn.execute(
            "SELECT n.id FROM nodes n JOIN embeddings e ON e.node_id = n.id"
            f" WHERE n.project_id = ? AND n.kind IN ({marks}) AND e.model = ? LIMIT ?",
            (project_id, *kinds, model, limit),
        ).fetchall()
        return [row[0] for row in rows]

    def last_change(self, project_id: int) -> int:
        row = self.db.conn.execute(
            "SELECT max(seq) FROM vector_changes WHERE project_id = ?", (project_id,)
        ).fetchone()
        return int(row[0] or 0)

    def changed_since(self, project_id: int, seq: int) -> tuple[int, list[int]]:
        rows = self.db.conn.execute(
            "SELECT seq, node_id FROM vector_changes WHERE project_id = ? AND seq > ? ORDER BY seq",
            (project_id, seq),
        ).fetchall()
        if not rows:
            return seq, []
        return rows[-1][0], list(dict.fromkeys(row[1] for row in rows))

    def embedded_node_texts(
        self, project_id: int, *, after_id: int = 0, limit: int = 256
    ) -> list[TextToEmbed]:
        rows = self.db.conn.execute(
            "SELECT n.id, n.title, n.body FROM nodes n JOIN embeddings e ON e.node_id = n.id"
            " WHERE n.project_id = ? AND n.id > ?"
            f" AND NOT (n.kind = 'source' AND {self.db.dialect.json_text('n.data', 'centre')}"
            " IS NOT NULL)"
            " ORDER BY n.id LIMIT ?",
            (project_id, after_id, limit),
        ).fetchall()
        return [TextToEmbed(row[0], row[1], row[2]) for row in rows]

    def subgoal_texts(
        self, project_id: int, *, after_id: int = 0, limit: int = 256
    ) -> list[TextToEmbed]:
        rows = self.db.conn.execute(
            "SELECT st.id, st.subgoal FROM steps st JOIN sessions s ON s.id = st.session_id"
            " WHERE s.project_id = ? AND st.id > ? AND st.subgoal_vec IS NOT NULL"
            " ORDER BY st.id LIMIT ?",
            (project_id, after_id, limit),
        ).fetchall()
        return [TextToEmbed(row[0], row[1] or "") for row in rows]

    def subgoal_count(self, project_id: int) -> int:
        row = self.db.conn.execute(
            "SELECT count(*) FROM steps st JOIN sessions s ON s.id = st.session_id"
            " WHERE s.project_id = ? AND st.subgoal_vec IS NOT NULL",
            (project_id,),
        ).fetchone()
        return int(row[0])

    def put_subgoal_vectors(self, step_ids: Sequence[int], vectors: NDArray[np.float32]) -> None:
        matrix = _as_matrix(step_ids, vectors)
        with self.db.write() as conn:
            conn.executemany(
                "UPDATE steps SET subgoal_vec = ? WHERE id = ?",
                [(row.tobytes(), step_id) for step_id, row in zip(step_ids, matrix, strict=True)],
            )


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    """``ids`` in runs short enough for one ``IN (...)`` list: SQLite refuses a statement of
    more than 32,766 variables, and a whole session's windows, or the changes an index catches
    up on, can be more."""
    return [ids[start : start + IN_LIST] for start in range(0, len(ids), IN_LIST)]


def _as_matrix(ids: Sequence[int], vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != len(ids):
        raise ValidationError(
            f"expected {len(ids)} vectors, got an array of shape {matrix.shape}", field="vectors"
        )
    return matrix


def _stack(rows: Sequence[tuple[int, int, bytes]]) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """One matrix from the blobs; rows of another dimension would corrupt it, so they fail."""
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    if not rows:
        return ids, np.zeros((0, 0), dtype=np.float32)
    dims = {row[1] for row in rows}
    if len(dims) > 1:
        raise EmbeddingMismatchError(
            f"stored vectors have several dimensions {sorted(dims)}: run `lore reembed`"
        )
    blob = b"".join(row[2] for row in rows)
    return ids, np.frombuffer(blob, dtype=np.float32).reshape(len(rows), dims.pop())
