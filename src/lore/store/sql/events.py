"""Events: appended once (a repeat is found by content hash or idempotency key), each into
the session and open episode it joins, and read back."""

from __future__ import annotations

import time
from collections.abc import Sequence

from lore.domain import Event, SessionState
from lore.errors import ConflictError, NotFoundError, ValidationError
from lore.store.base import AppendOutcome, PreparedEvent
from lore.store.sql import Connection, Database
from lore.store.sql.rows import event_from_row
from lore.store.sql.sessions import insert_session


class SQLEvents:
    def __init__(self, db: Database) -> None:
        self.db = db

    def append(
        self, project_id: int, events: Sequence[PreparedEvent], session_window_s: float
    ) -> AppendOutcome:
        now = time.time()
        event_ids: list[int] = []
        session_ids: list[int] = []
        new_ids: list[int] = []
        duplicates = 0
        with self.db.write() as conn:
            targets = _SessionTargets(conn, project_id, now, session_window_s)
            for index, event in enumerate(events):
                existing = _existing(conn, project_id, event)
                if existing is not None:
                    duplicates += 1
                    event_ids.append(existing[0])
                    session_ids.append(existing[1])
                    continue
                session_id, episode_id = targets.resolve(event, index)
                row = conn.execute(
                    "INSERT INTO events (project_id, session_id, episode_id, source, type, payload,"
                    " content_hash, idempotency_key, created_at, occurred_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        project_id,
                        session_id,
                        episode_id,
                        event.source,
                        event.type,
                        event.payload_json,
                        event.content_hash,
                        event.idempotency_key,
                        now,
                        event.occurred_at,
                    ),
                ).fetchone()
                event_ids.append(int(row[0]))
                new_ids.append(int(row[0]))
                session_ids.append(session_id)
            targets.record_counts()
        return AppendOutcome(event_ids, session_ids, duplicates, new_ids)

    def get(self, event_id: int) -> Event:
        row = self.db.conn.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no event with id {event_id}")
        return event_from_row(row)

    def get_many(self, event_ids: Sequence[int]) -> dict[int, Event]:
        marks = ",".join("?" * len(event_ids))
        rows = self.db.conn.execute(
            f"SELECT * FROM events WHERE id IN ({marks})", tuple(event_ids)
        ).fetchall()
        return {row["id"]: event_from_row(row) for row in rows}

    def around(self, project_id: int, when: float, count: int) -> list[Event]:
        at = "coalesce(occurred_at, created_at)"
        before = self.db.conn.execute(
            f"SELECT * FROM events WHERE project_id = ? AND {at} <= ?"
            f" ORDER BY {at} DESC, id DESC LIMIT ?",
            (project_id, when, count),
        ).fetchall()
        after = self.db.conn.execute(
            f"SELECT * FROM events WHERE project_id = ? AND {at} > ? ORDER BY {at}, id LIMIT ?",
            (project_id, when, count),
        ).fetchall()
        return [event_from_row(row) for row in [*reversed(before), *after]]

    def for_session(
        self, session_id: int, *, after_id: int = 0, limit: int | None = None
    ) -> list[Event]:
        sql = "SELECT * FROM events WHERE session_id = ? AND id > ? ORDER BY id"
        params: tuple[int, ...] = (session_id, after_id)
        if limit is not None:
            sql, params = sql + " LIMIT ?", (*params, limit)
        rows = self.db.conn.execute(sql, params).fetchall()
        return [event_from_row(row) for row in rows]

    def unenriched(self, session_id: int) -> list[Event]:
        rows = self.db.conn.execute(
            "SELECT * FROM events WHERE session_id = ? AND enriched_job_id IS NULL ORDER BY id",
            (session_id,),
        ).fetchall()
        return [event_from_row(row) for row in rows]

    def mark_enriched(self, event_ids: Sequence[int], job_id: int) -> None:
        with self.db.write() as conn:
            conn.executemany(
                "UPDATE events SET enriched_job_id = ? WHERE id = ?",
                [(job_id, event_id) for event_id in event_ids],
            )

    def count(self, project_id: int | None = None) -> int:
        if project_id is None:
            row = self.db.conn.execute("SELECT count(*) FROM events").fetchone()
        else:
            row = self.db.conn.execute(
                "SELECT count(*) FROM events WHERE project_id = ?", (project_id,)
            ).fetchone()
        return int(row[0])


def _existing(conn: Connection, project_id: int, event: PreparedEvent) -> tuple[int, int] | None:
    row = conn.execute(
        "SELECT id, session_id FROM events WHERE project_id = ? AND content_hash = ?",
        (project_id, event.content_hash),
    ).fetchone()
    if row is None and event.idempotency_key is not None:
        row = conn.execute(
            "SELECT id, session_id FROM events WHERE project_id = ? AND idempotency_key = ?",
            (project_id, event.idempotency_key),
        ).fetchone()
    return (row[0], row[1]) if row else None


class _SessionTargets:
    """Finds, within one write transaction, the session and open episode each event joins."""

    def __init__(self, conn: Connection, project_id: int, now: float, window_s: float):
        self.conn = conn
        self.project_id = project_id
        self.now = now
        self.window_s = window_s
        self.by_source: dict[str, tuple[int, int]] = {}
        self.by_id: dict[int, tuple[int, int]] = {}
        self.counts: dict[int, int] = {}
        self.abouts: dict[int, str] = {}

    def resolve(self, event: PreparedEvent, index: int) -> tuple[int, int]:
        if event.session_id is not None:
            target = self.by_id.get(event.session_id) or self._explicit(event.session_id, index)
            self.by_id[event.session_id] = target
        else:
            target = self.by_source.get(event.source) or self._capture(event.source)
            self.by_source[event.source] = target
        self.counts[target[0]] = self.counts.get(target[0], 0) + 1
        if event.about:
            self.abouts.setdefault(target[0], event.about)
        return target

    def _explicit(self, session_id: int, index: int) -> tuple[int, int]:
        row = self.conn.execute(
            "SELECT project_id, state FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if row is None or row["project_id"] != self.project_id:
            raise ValidationError(
                f"session {session_id} does not exist in this project",
                f"events[{index}].session_id",
            )
        if row["state"] != SessionState.COLLECTING:
            raise ConflictError(
                f"session {session_id} is closed ({row['state']}); it takes no events"
            )
        return session_id, self._open_episode(session_id)

    def _capture(self, source: str) -> tuple[int, int]:
        row = self.conn.execute(
            "SELECT id FROM sessions WHERE project_id = ? AND source = ? AND state = 'collecting'"
            " AND created_at > ? ORDER BY id DESC LIMIT 1",
            (self.project_id, source, self.now - self.window_s),
        ).fetchone()
        if row is not None:
            return row[0], self._open_episode(row[0])
        session_id, episode_id = insert_session(
            self.conn, self.project_id, source, "", SessionState.COLLECTING, {}, self.now
        )
        assert episode_id is not None
        return session_id, episode_id

    def _open_episode(self, session_id: int) -> int:
        row = self.conn.execute(
            "SELECT id FROM episodes WHERE session_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        if row is not None:
            return int(row[0])
        created = self.conn.execute(
            "INSERT INTO episodes (session_id, status, started_at) VALUES (?, 'open', ?)"
            " RETURNING id",
            (session_id, self.now),
        ).fetchone()
        return int(created[0])

    def record_counts(self) -> None:
        self.conn.executemany(
            "UPDATE sessions SET event_count = event_count + ?, last_event_at = ? WHERE id = ?",
            [(count, self.now, session_id) for session_id, count in self.counts.items()],
        )
        self.conn.executemany(  # what a session without a goal is about: its first such event
            "UPDATE sessions SET goal = ? WHERE id = ? AND goal = ''",
            [(about, session_id) for session_id, about in self.abouts.items()],
        )
