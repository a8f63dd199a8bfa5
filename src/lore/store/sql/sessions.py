"""Sessions: creating, finding, counting and closing them, and their state and error."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from lore.domain import Session, SessionState, SessionStatus, session_status
from lore.domain.models import states_shown_as
from lore.errors import ConflictError, NotFoundError
from lore.store.sql import Connection, Database, like_escaped
from lore.store.sql.rows import session_from_row


def insert_session(
    conn: Connection,
    project_id: int,
    source: str,
    goal: str,
    state: SessionState,
    overrides: dict[str, Any],
    now: float,
) -> tuple[int, int | None]:
    """Insert a session; a collecting one gets its open episode. Returns (session, episode)."""
    session_id = int(
        conn.execute(
            "INSERT INTO sessions (project_id, source, goal, state, overrides, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (project_id, source, goal, state.value, json.dumps(overrides), now),
        ).fetchone()[0]
    )
    if state is not SessionState.COLLECTING:
        return session_id, None
    episode = conn.execute(
        "INSERT INTO episodes (session_id, goal, status, started_at) VALUES (?, ?, 'open', ?)"
        " RETURNING id",
        (session_id, goal, now),
    ).fetchone()
    return session_id, int(episode[0])


def _filters(
    project_id: int | None,
    status: SessionStatus | None,
    source: str | None,
    text: str | None = None,
) -> tuple[str, list[Any]]:
    clauses: list[str] = ["1 = 1"]
    params: list[Any] = []
    if project_id is not None:
        clauses.append("project_id = ?")
        params.append(project_id)
    if status is not None:
        states = [state.value for state in states_shown_as(status)]
        marks = ", ".join("?" * len(states))
        # As ``session_status``: an error (a failed latest run) shows failed in any state.
        if status is SessionStatus.FAILED:
            clauses.append(f"(error IS NOT NULL OR state IN ({marks}))")
        else:
            clauses.append(f"error IS NULL AND state IN ({marks})")
        params.extend(states)
    if source is not None:
        clauses.append("source = ?")
        params.append(source)
    if text:
        pattern = f"%{like_escaped(text)}%"
        clauses.append(
            # lower() on both sides: SQLite's LIKE ignores case, PostgreSQL's does not.
            "(lower(goal) LIKE lower(?) ESCAPE '\\' OR id IN (SELECT session_id FROM events"
            " WHERE lower(payload) LIKE lower(?) ESCAPE '\\'))"
        )
        params.extend([pattern, pattern])
    return " AND ".join(clauses), params


class SQLSessions:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        project_id: int,
        source: str,
        goal: str = "",
        state: SessionState = SessionState.COLLECTING,
        overrides: dict[str, Any] | None = None,
    ) -> Session:
        with self.db.write() as conn:
            session_id, _ = insert_session(
                conn, project_id, source, goal, state, overrides or {}, time.time()
            )
        return self.get(session_id)

    def get(self, session_id: int) -> Session:
        row = self.db.conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no session with id {session_id}")
        return session_from_row(row)

    def find(
        self,
        project_id: int | None = None,
        *,
        status: SessionStatus | None = None,
        source: str | None = None,
        text: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Session]:
        where, params = _filters(project_id, status, source, text)
        rows = self.db.conn.execute(
            f"SELECT * FROM sessions WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return [session_from_row(row) for row in rows]

    def count(
        self,
        project_id: int | None = None,
        *,
        status: SessionStatus | None = None,
        source: str | None = None,
        text: str | None = None,
    ) -> int:
        where, params = _filters(project_id, status, source, text)
        row = self.db.conn.execute(
            f"SELECT count(*) FROM sessions WHERE {where}", params
        ).fetchone()
        return int(row[0])

    def facets(self, project_id: int) -> tuple[list[str], list[SessionStatus]]:
        rows = self.db.conn.execute(
            "SELECT DISTINCT source, state, error IS NOT NULL FROM sessions WHERE project_id = ?",
            (project_id,),
        ).fetchall()
        sources = sorted({row[0] for row in rows})
        present = {session_status(SessionState(row[1]), "" if row[2] else None) for row in rows}
        return sources, [status for status in SessionStatus if status in present]

    def set_error(self, session_id: int, error: str | None) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE sessions SET error = ? WHERE id = ?", (error, session_id))

    def set_state(
        self,
        session_id: int,
        state: SessionState,
        *,
        expected: Sequence[SessionState] | None = None,
        error: str | None = None,
    ) -> Session:
        with self.db.write() as conn:
            current = self.get(session_id)
            if expected is not None and current.state not in expected:
                raise ConflictError(
                    f"session {session_id} is {current.state.value}, expected one of "
                    + ", ".join(s.value for s in expected)
                )
            completed = time.time() if state in (SessionState.IDLE, SessionState.READY) else None
            conn.execute(
                "UPDATE sessions SET state = ?, error = ?,"
                " completed_at = COALESCE(?, completed_at) WHERE id = ?",
                (state.value, error, completed, session_id),
            )
        return self.get(session_id)

    def inactive(self, before: float) -> list[Session]:
        rows = self.db.conn.execute(
            "SELECT * FROM sessions WHERE state = 'collecting' AND managed = 0"
            " AND coalesce(last_event_at, created_at) < ? ORDER BY id",
            (before,),
        ).fetchall()
        return [session_from_row(row) for row in rows]

    def close(self, session_id: int) -> Session:
        now = time.time()
        with self.db.write() as conn:
            current = self.get(session_id)
            if current.state is not SessionState.COLLECTING:
                raise ConflictError(
                    f"session {session_id} is {current.state.value}, not collecting"
                )
            conn.execute(
                "UPDATE episodes SET status = 'closed', closed_at = ?"
                " WHERE session_id = ? AND status = 'open'",
                (now, session_id),
            )
            conn.execute(
                "UPDATE sessions SET state = 'idle', closed_at = ?, completed_at = ? WHERE id = ?",
                (now, now, session_id),
            )
        return self.get(session_id)

    def record_items(self, session_id: int, items_extracted: int) -> Session:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE sessions SET items_extracted = ?, enriched = 1 WHERE id = ?",
                (items_extracted, session_id),
            )
        return self.get(session_id)
