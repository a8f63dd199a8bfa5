"""Changesets between extraction and commit, with the vectors made for their drafts."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lore.domain.episodes import ChangesetStatus, StoredChangeset
from lore.domain.graph import Changeset
from lore.errors import NotFoundError
from lore.store.sql import Database


def changeset_from_row(row: Any) -> StoredChangeset:
    return StoredChangeset(
        id=row["id"],
        session_id=row["session_id"],
        episode_id=row["episode_id"],
        job_id=row["job_id"],
        extraction_id=row["extraction_id"],
        status=row["status"],
        changeset=Changeset.model_validate_json(row["data"]),
        vectors=json.loads(row["vectors"]) if row["vectors"] else {},
        embedding_model=row["embedding_model"],
        created_at=row["created_at"],
        applied_at=row["applied_at"],
    )


class SQLChangesets:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(
        self,
        changeset: Changeset,
        *,
        extraction_id: int | None = None,
        vectors: Mapping[str, NDArray[np.float32]] | None = None,
        embedding_model: str | None = None,
    ) -> StoredChangeset:
        encoded = {ref: [float(x) for x in vector] for ref, vector in (vectors or {}).items()}
        with self.db.write() as conn:
            row = conn.execute(
                "INSERT INTO changesets (session_id, episode_id, job_id, extraction_id, status,"
                " data, vectors, embedding_model, created_at)"
                " VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?) RETURNING id",
                (
                    changeset.session_id,
                    changeset.episode_id,
                    changeset.job_id,
                    extraction_id,
                    changeset.model_dump_json(),
                    json.dumps(encoded) if encoded else None,
                    embedding_model,
                    time.time(),
                ),
            ).fetchone()
        return self.get(row[0])

    def get(self, changeset_id: int) -> StoredChangeset:
        row = self.db.conn.execute(
            "SELECT * FROM changesets WHERE id = ?", (changeset_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no changeset with id {changeset_id}")
        return changeset_from_row(row)

    def pending(self, session_id: int) -> list[StoredChangeset]:
        return self._select(
            "WHERE session_id = ? AND status = 'pending' ORDER BY id", (session_id,)
        )

    def for_session(self, session_id: int) -> list[StoredChangeset]:
        return self._select("WHERE session_id = ? ORDER BY id", (session_id,))

    def mark(self, changeset_id: int, status: ChangesetStatus) -> None:
        applied = time.time() if status == "applied" else None
        with self.db.write() as conn:
            conn.execute(
                "UPDATE changesets SET status = ?, applied_at = ? WHERE id = ?",
                (status, applied, changeset_id),
            )

    def discard_pending(self, session_id: int) -> int:
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE changesets SET status = 'discarded' WHERE session_id = ?"
                " AND status = 'pending'",
                (session_id,),
            )
        return cursor.rowcount

    def _select(self, where: str, params: tuple[object, ...]) -> list[StoredChangeset]:
        rows = self.db.conn.execute(f"SELECT * FROM changesets {where}", params).fetchall()
        return [changeset_from_row(row) for row in rows]
