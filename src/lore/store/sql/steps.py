"""Steps of episodes: stored at append, annotated in order, taken by extraction runs."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lore.domain.episodes import Step
from lore.errors import NotFoundError
from lore.store.sql import Database


def step_from_row(row: Any) -> Step:
    return Step(
        id=row["id"],
        session_id=row["session_id"],
        episode_id=row["episode_id"],
        event_id=row["event_id"],
        seq=row["seq"],
        observation=row["observation"],
        action=row["action"],
        state_summary=row["state_summary"],
        subgoal=row["subgoal"],
        reward=row["reward"],
        reward_fallback=bool(row["reward_fallback"]),
        annotation_error=row["annotation_error"],
        trajectory=row["trajectory"],
        boundary=bool(row["boundary"]),
        created_at=row["created_at"],
        annotated_at=row["annotated_at"],
        extraction_id=row["extraction_id"],
    )


class SQLSteps:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(
        self,
        session_id: int,
        episode_id: int,
        observation: str,
        action: str,
        *,
        event_id: int | None = None,
    ) -> Step:
        with self.db.write() as conn:
            row = conn.execute(
                "INSERT INTO steps (session_id, episode_id, event_id, seq, observation, action,"
                " created_at) VALUES (?, ?, ?,"
                " (SELECT coalesce(max(seq), 0) + 1 FROM steps WHERE episode_id = ?), ?, ?, ?)"
                " RETURNING id",
                (session_id, episode_id, event_id, episode_id, observation, action, time.time()),
            ).fetchone()
        return self.get(row[0])

    def get(self, step_id: int) -> Step:
        row = self.db.conn.execute("SELECT * FROM steps WHERE id = ?", (step_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no step with id {step_id}")
        return step_from_row(row)

    def delete(self, step_id: int) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM steps WHERE id = ?", (step_id,))

    def for_episode(self, episode_id: int) -> list[Step]:
        return self._steps("WHERE episode_id = ? ORDER BY seq", (episode_id,))

    def for_session(self, session_id: int, *, limit: int = 100, offset: int = 0) -> list[Step]:
        return self._steps(
            "WHERE session_id = ? ORDER BY episode_id, seq LIMIT ? OFFSET ?",
            (session_id, limit, offset),
        )

    def recent(self, session_id: int, limit: int) -> list[Step]:
        steps = self._steps(
            "WHERE episode_id = (SELECT max(id) FROM episodes WHERE session_id = ?)"
            " AND annotated_at IS NOT NULL ORDER BY seq DESC LIMIT ?",
            (session_id, limit),
        )
        return steps[::-1]

    def previous(self, step: Step) -> Step | None:
        found = self._steps(
            "WHERE episode_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1",
            (step.episode_id, step.seq),
        )
        return found[0] if found else None

    def next_unannotated(self, session_id: int) -> Step | None:
        found = self._steps(
            "WHERE session_id = ? AND annotated_at IS NULL ORDER BY episode_id, seq LIMIT 1",
            (session_id,),
        )
        return found[0] if found else None

    def count_unannotated(self, session_id: int) -> int:
        row = self.db.conn.execute(
            "SELECT count(*) FROM steps WHERE session_id = ? AND annotated_at IS NULL",
            (session_id,),
        ).fetchone()
        return int(row[0])

    def sessions_unannotated(self) -> list[int]:
        rows = self.db.conn.execute(
            "SELECT DISTINCT session_id FROM steps WHERE annotated_at IS NULL ORDER BY session_id"
        ).fetchall()
        return [row[0] for row in rows]

    def annotate(
        self,
        step_id: int,
        *,
        state_summary: str,
        subgoal: str,
        subgoal_vec: NDArray[np.float32],
        trajectory: int,
        boundary: bool,
        error: str | None = None,
    ) -> Step:
        blob = np.ascontiguousarray(subgoal_vec, dtype=np.float32).tobytes()
        with self.db.write() as conn:
            conn.execute(
                "UPDATE steps SET state_summary = ?, subgoal = ?, subgoal_vec = ?, trajectory = ?,"
                " boundary = ?, annotation_error = ?, annotated_at = ?"
                " WHERE id = ? AND annotated_at IS NULL",
                (
                    state_summary,
                    subgoal,
                    blob,
                    trajectory,
                    int(boundary),
                    error,
                    time.time(),
                    step_id,
                ),
            )
        return self.get(step_id)

    def set_reward(self, step_id: int, reward: float, *, fallback: bool = False) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE steps SET reward = ?, reward_fallback = ? WHERE id = ?",
                (reward, int(fallback), step_id),
            )

    def subgoal_vector(self, step_id: int) -> NDArray[np.float32] | None:
        row = self.db.conn.execute(
            "SELECT subgoal_vec FROM steps WHERE id = ?", (step_id,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return np.frombuffer(row[0], dtype=np.float32)

    def claim(self, extraction_id: int, episode_id: int, *, upto_trajectory: int | None) -> int:
        sql = (
            "UPDATE steps SET extraction_id = ? WHERE episode_id = ? AND extraction_id IS NULL"
            " AND annotated_at IS NOT NULL"
        )
        params: tuple[object, ...] = (extraction_id, episode_id)
        if upto_trajectory is not None:
            sql, params = sql + " AND trajectory <= ?", (*params, upto_trajectory)
        with self.db.write() as conn:
            cursor = conn.execute(sql, params)
        return cursor.rowcount

    def claimed(self, extraction_id: int) -> list[Step]:
        return self._steps("WHERE extraction_id = ? ORDER BY episode_id, seq", (extraction_id,))

    def release(self, extraction_id: int) -> int:
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE steps SET extraction_id = NULL, released_from = extraction_id"
                " WHERE extraction_id = ?",
                (extraction_id,),
            )
        return cursor.rowcount

    def reclaim(self, released_by: int, extraction_id: int) -> int:
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE steps SET extraction_id = ? WHERE released_from = ?"
                " AND extraction_id IS NULL",
                (extraction_id, released_by),
            )
        return cursor.rowcount

    def unclaimed(self, episode_id: int) -> list[Step]:
        return self._steps(
            "WHERE episode_id = ? AND extraction_id IS NULL AND annotated_at IS NOT NULL"
            " ORDER BY seq",
            (episode_id,),
        )

    def _steps(self, where: str, params: tuple[object, ...]) -> list[Step]:
        rows = self.db.conn.execute(f"SELECT * FROM steps {where}", params).fetchall()
        return [step_from_row(row) for row in rows]
