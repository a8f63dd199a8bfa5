"""Queued async session operations and their recorded outcomes."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from lore.domain.episodes import OpKind, PendingOp
from lore.errors import ConflictError, NotFoundError
from lore.store.sql import Database


def op_from_row(row: Any) -> PendingOp:
    return PendingOp(
        id=row["id"],
        session_id=row["session_id"],
        op=row["op"],
        args=json.loads(row["args"]),
        status=row["status"],
        result=row["result"],
        reason=row["reason"],
        error=row["error"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
    )


class SQLOps:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(
        self,
        session_id: int,
        op: OpKind,
        args: dict[str, Any],
        *,
        result: str | None = None,
    ) -> PendingOp:
        now = time.time()
        status, finished = ("pending", None) if result is None else ("done", now)
        with self.db.write() as conn:
            row = conn.execute(
                "INSERT INTO session_ops (session_id, op, args, status, result, created_at,"
                " finished_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (session_id, op, json.dumps(args), status, result, now, finished),
            ).fetchone()
        return self.get(row[0])

    def get(self, op_id: int) -> PendingOp:
        found = self._select("WHERE id = ?", (op_id,))
        if not found:
            raise NotFoundError(f"no session operation with id {op_id}")
        return found[0]

    def get_many(self, op_ids: Sequence[int]) -> list[PendingOp]:
        marks = ",".join("?" * len(op_ids))
        return self._select(f"WHERE id IN ({marks}) ORDER BY id", tuple(op_ids))

    def pending(self, session_id: int) -> list[PendingOp]:
        return self._select(
            "WHERE session_id = ? AND status = 'pending' ORDER BY id", (session_id,)
        )

    def for_session(self, session_id: int, *, limit: int = 50) -> list[PendingOp]:
        return self._select("WHERE session_id = ? ORDER BY id DESC LIMIT ?", (session_id, limit))

    def sessions_pending(self) -> list[int]:
        rows = self.db.conn.execute(
            "SELECT DISTINCT session_id FROM session_ops WHERE status = 'pending'"
            " ORDER BY session_id"
        ).fetchall()
        return [row[0] for row in rows]

    def finish(self, op_id: int, result: str) -> None:
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE session_ops SET status = 'done', result = ?, finished_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (result, time.time(), op_id),
            )
            if cursor.rowcount != 1:
                raise ConflictError(f"session operation {op_id} is no longer pending")

    def fail(self, op_id: int, reason: str, error: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE session_ops SET status = 'failed', reason = ?, error = ?, finished_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (reason, error, time.time(), op_id),
            )

    def fail_pending(self, session_id: int, reason: str, error: str) -> list[int]:
        with self.db.write() as conn:
            rows = conn.execute(
                "UPDATE session_ops SET status = 'failed', reason = ?, error = ?, finished_at = ?"
                " WHERE session_id = ? AND status = 'pending' RETURNING id",
                (reason, error, time.time(), session_id),
            ).fetchall()
        return sorted(row[0] for row in rows)

    def _select(self, where: str, params: tuple[object, ...]) -> list[PendingOp]:
        rows = self.db.conn.execute(f"SELECT * FROM session_ops {where}", params).fetchall()
        return [op_from_row(row) for row in rows]
