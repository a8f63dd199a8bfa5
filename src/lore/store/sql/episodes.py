"""Episodes, and the sessions the engine runs (``managed``)."""

from __future__ import annotations

import time
from typing import Any

from lore.domain import Session, SessionState
from lore.domain.episodes import Episode, EpisodeStatus
from lore.errors import NotFoundError
from lore.store.sql import Database
from lore.store.sql.rows import session_from_row
from lore.store.sql.sessions import insert_session


def episode_from_row(row: Any) -> Episode:
    return Episode(
        id=row["id"],
        session_id=row["session_id"],
        goal=row["goal"],
        status=EpisodeStatus(row["status"]),
        started_at=row["started_at"],
        closed_at=row["closed_at"],
    )


class SQLEpisodes:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create_managed_session(
        self, project_id: int, source: str, goal: str, overrides: dict[str, Any]
    ) -> Session:
        with self.db.write() as conn:
            session_id, _ = insert_session(
                conn, project_id, source, goal, SessionState.COLLECTING, overrides, time.time()
            )
            conn.execute("UPDATE sessions SET managed = 1 WHERE id = ?", (session_id,))
            row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return session_from_row(row)

    def is_managed(self, session_id: int) -> bool:
        row = self.db.conn.execute(
            "SELECT managed FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no session with id {session_id}")
        return bool(row[0])

    def managed_collecting(self) -> list[Session]:
        rows = self.db.conn.execute(
            "SELECT * FROM sessions WHERE managed = 1 AND state = 'collecting' ORDER BY id"
        ).fetchall()
        return [session_from_row(row) for row in rows]

    def get(self, episode_id: int) -> Episode:
        row = self.db.conn.execute("SELECT * FROM episodes WHERE id = ?", (episode_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no episode with id {episode_id}")
        return episode_from_row(row)

    def open_for(self, session_id: int) -> Episode | None:
        row = self.db.conn.execute(
            "SELECT * FROM episodes WHERE session_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        return episode_from_row(row) if row else None

    def latest(self, session_id: int) -> Episode | None:
        row = self.db.conn.execute(
            "SELECT * FROM episodes WHERE session_id = ? ORDER BY id DESC LIMIT 1", (session_id,)
        ).fetchone()
        return episode_from_row(row) if row else None

    def for_session(self, session_id: int) -> list[Episode]:
        rows = self.db.conn.execute(
            "SELECT * FROM episodes WHERE session_id = ? ORDER BY id", (session_id,)
        ).fetchall()
        return [episode_from_row(row) for row in rows]

    def start(self, session_id: int, goal: str) -> Episode:
        with self.db.write() as conn:
            row = conn.execute(
                "INSERT INTO episodes (session_id, goal, status, started_at)"
                " VALUES (?, ?, 'open', ?) RETURNING id",
                (session_id, goal, time.time()),
            ).fetchone()
        return self.get(row[0])

    def close(self, episode_id: int) -> Episode:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE episodes SET status = 'closed', closed_at = coalesce(closed_at, ?)"
                " WHERE id = ?",
                (time.time(), episode_id),
            )
        return self.get(episode_id)

    def set_status(self, episode_id: int, status: EpisodeStatus) -> Episode:
        with self.db.write() as conn:
            conn.execute("UPDATE episodes SET status = ? WHERE id = ?", (status.value, episode_id))
        return self.get(episode_id)
