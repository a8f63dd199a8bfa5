"""Extraction runs of sessions: which job extracts which steps, and how it ended."""

from __future__ import annotations

import time
from typing import Any

from lore.domain.episodes import Extraction, ExtractionScope, ExtractionStatus
from lore.errors import NotFoundError
from lore.store.sql import Database


def extraction_from_row(row: Any) -> Extraction:
    return Extraction(
        id=row["id"],
        session_id=row["session_id"],
        episode_id=row["episode_id"],
        job_id=row["job_id"],
        scope=row["scope"],
        status=row["status"],
        runner=row["runner"],
        error=row["error"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
    )


class SQLExtractions:
    def __init__(self, db: Database) -> None:
        self.db = db

    def begin(
        self,
        session_id: int,
        episode_id: int | None,
        scope: ExtractionScope,
        runner: str,
        *,
        job_id: int | None = None,
    ) -> Extraction:
        with self.db.write() as conn:
            row = conn.execute(
                "INSERT INTO session_extractions (session_id, episode_id, job_id, scope, runner,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (session_id, episode_id, job_id, scope, runner, time.time()),
            ).fetchone()
        return self.get(row[0])

    def get(self, extraction_id: int) -> Extraction:
        row = self.db.conn.execute(
            "SELECT * FROM session_extractions WHERE id = ?", (extraction_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no extraction with id {extraction_id}")
        return extraction_from_row(row)

    def set_job(self, extraction_id: int, job_id: int) -> Extraction:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE session_extractions SET job_id = ? WHERE id = ?", (job_id, extraction_id)
            )
        return self.get(extraction_id)

    def running(self, session_id: int | None = None) -> list[Extraction]:
        if session_id is None:
            return self._select("WHERE status = 'running' ORDER BY id", ())
        return self._select(
            "WHERE session_id = ? AND status = 'running' ORDER BY id", (session_id,)
        )

    def for_job(self, session_id: int, job_id: int) -> Extraction | None:
        found = self._select(
            "WHERE session_id = ? AND job_id = ? ORDER BY id DESC LIMIT 1", (session_id, job_id)
        )
        return found[0] if found else None

    def for_session(self, session_id: int) -> list[Extraction]:
        return self._select("WHERE session_id = ? ORDER BY id", (session_id,))

    def finish(
        self, extraction_id: int, status: ExtractionStatus, error: str | None = None
    ) -> bool:
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE session_extractions SET status = ?, error = ?, finished_at = ?"
                " WHERE id = ? AND status = 'running'",
                (status, error, time.time(), extraction_id),
            )
        return cursor.rowcount == 1

    def _select(self, where: str, params: tuple[object, ...]) -> list[Extraction]:
        rows = self.db.conn.execute(f"SELECT * FROM session_extractions {where}", params).fetchall()
        return [extraction_from_row(row) for row in rows]
