"""Enrichment jobs. A claim is one write transaction (which the backends serialise), so several
worker processes on one database never take the same job; every later change names its worker
and checks it still holds the lease."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lore.domain.jobs import Job, JobStatus, StageRun, StageStatus
from lore.errors import ConflictError, LeaseLostError, NotFoundError
from lore.store.base import StageOutcome
from lore.store.sql import Connection, Database

_STAGE_COLUMNS = (
    "name, status, started_at, duration_ms, tokens, llm_calls, items, runs, note, error,"
    " error_detail"
)


class SQLJobs:
    def __init__(self, db: Database) -> None:
        self.db = db

    def enqueue(
        self,
        project_id: int,
        session_id: int,
        trigger: str,
        stages: Sequence[str],
        *,
        max_attempts: int,
        run_after: float,
        now: float,
    ) -> Job:
        with self.db.write() as conn:
            queued = conn.execute(
                "SELECT id, run_after FROM jobs WHERE session_id = ? AND status = 'queued'"
                " ORDER BY id LIMIT 1",
                (session_id,),
            ).fetchone()
            if queued is not None:
                # The new work joins the queued job, which runs no later than the new work asks.
                conn.execute(
                    "UPDATE jobs SET run_after = ? WHERE id = ?",
                    (min(queued[1], run_after), queued[0]),
                )
                return self.get(queued[0])
            job_id = conn.execute(
                "INSERT INTO jobs (project_id, session_id, trigger, status, max_attempts,"
                " run_after, created_at) VALUES (?, ?, ?, 'queued', ?, ?, ?) RETURNING id",
                (project_id, session_id, trigger, max_attempts, run_after, now),
            ).fetchone()[0]
            conn.executemany(
                "INSERT INTO job_stages (job_id, position, name) VALUES (?, ?, ?)",
                [(job_id, position, name) for position, name in enumerate(stages)],
            )
        return self.get(job_id)

    def get(self, job_id: int) -> Job:
        row = self.db.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no job with id {job_id}")
        return self._jobs([row])[0]

    def find(
        self,
        *,
        project_id: int | None = None,
        session_id: int | None = None,
        statuses: Sequence[JobStatus] | None = None,
        trigger: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Job]:
        clauses, params = ["1 = 1"], []
        for column, value in (
            ("project_id", project_id),
            ("session_id", session_id),
            ("trigger", trigger),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if statuses:
            clauses.append(f"status IN ({','.join('?' * len(statuses))})")
            params.extend(status.value for status in statuses)
        rows = self.db.conn.execute(
            f"SELECT * FROM jobs WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return self._jobs(rows)

    def claim(self, worker: str, lease_s: float, now: float) -> Job | None:
        with self.db.write() as conn:
            row = conn.execute(
                "SELECT id FROM jobs AS job WHERE ((status = 'queued' AND run_after <= ?)"
                " OR (status = 'processing' AND lease_expires_at < ?))"
                " AND NOT EXISTS (SELECT 1 FROM jobs AS other WHERE other.session_id = job.session_id"
                " AND other.id != job.id AND ((other.status = 'processing'"
                " AND other.lease_expires_at >= ?) OR (other.id < job.id"
                " AND other.status IN ('queued', 'processing'))))"
                " ORDER BY run_after, id LIMIT 1",
                (now, now, now),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE jobs SET status = 'processing', lease_owner = ?, lease_expires_at = ?,"
                " attempts = attempts + 1, started_at = coalesce(started_at, ?) WHERE id = ?",
                (worker, now + lease_s, now, row[0]),
            )
        return self.get(row[0])

    def lease_owners(self) -> list[str]:
        rows = self.db.conn.execute(
            "SELECT DISTINCT lease_owner FROM jobs WHERE status = 'processing'"
            " AND lease_owner IS NOT NULL"
        ).fetchall()
        return [row[0] for row in rows]

    def expire_leases(self, owners: Sequence[str]) -> int:
        with self.db.write() as conn:
            cursor = conn.executemany(
                "UPDATE jobs SET lease_expires_at = 0 WHERE status = 'processing' AND lease_owner = ?",
                [(owner,) for owner in owners],
            )
        return cursor.rowcount

    def renew(self, job_id: int, worker: str, lease_s: float, now: float) -> bool:
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE jobs SET lease_expires_at = ?"
                " WHERE id = ? AND lease_owner = ? AND status = 'processing'",
                (now + lease_s, job_id, worker),
            )
        return cursor.rowcount == 1

    def start_stage(self, job_id: int, worker: str, stage: str, now: float) -> None:
        with self.db.write() as conn:
            _check_lease(conn, job_id, worker)
            conn.execute(
                "UPDATE job_stages SET status = 'active', started_at = ?, runs = runs + 1,"
                " duration_ms = NULL, error = NULL, error_detail = NULL"
                " WHERE job_id = ? AND name = ?",
                (now, job_id, stage),
            )

    def end_stage(self, job_id: int, worker: str, stage: str, outcome: StageOutcome) -> None:
        with self.db.write() as conn:
            _check_lease(conn, job_id, worker)
            conn.execute(
                "UPDATE job_stages SET status = ?, duration_ms = ?, output = ?, tokens = ?,"
                " llm_calls = ?, items = ?, note = ?, error = ?, error_detail = ?"
                " WHERE job_id = ? AND name = ?",
                (
                    outcome.status.value,
                    outcome.duration_ms,
                    outcome.output,
                    outcome.tokens,
                    outcome.llm_calls,
                    outcome.items,
                    outcome.note,
                    outcome.error,
                    outcome.error_detail,
                    job_id,
                    stage,
                ),
            )

    def stage_output(self, job_id: int, stage: str) -> str | None:
        row = self.db.conn.execute(
            "SELECT output FROM job_stages WHERE job_id = ? AND name = ?", (job_id, stage)
        ).fetchone()
        return row[0] if row else None

    def complete(
        self, job_id: int, worker: str, items: int, event_ids: Sequence[int], now: float
    ) -> Job:
        with self.db.write() as conn:
            _check_lease(conn, job_id, worker)
            conn.execute(
                "UPDATE jobs SET status = 'completed', items_extracted = ?, finished_at = ?,"
                " lease_owner = NULL, lease_expires_at = NULL, error = NULL, error_detail = NULL"
                " WHERE id = ?",
                (items, now, job_id),
            )
            conn.executemany(
                "UPDATE events SET enriched_job_id = ? WHERE id = ?",
                [(job_id, event_id) for event_id in event_ids],
            )
        return self.get(job_id)

    def release(
        self,
        job_id: int,
        worker: str,
        *,
        error: str,
        error_detail: str,
        run_after: float | None,
        now: float,
    ) -> Job:
        status = JobStatus.FAILED if run_after is None else JobStatus.QUEUED
        with self.db.write() as conn:
            _check_lease(conn, job_id, worker)
            conn.execute(
                "UPDATE jobs SET status = ?, run_after = coalesce(?, run_after), error = ?,"
                " error_detail = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL"
                " WHERE id = ?",
                (
                    status.value,
                    run_after,
                    error,
                    error_detail,
                    now if run_after is None else None,
                    job_id,
                ),
            )
            # A stage its worker did not end (killed, or stopping) ends with the job's error:
            # pending again when the job is requeued, failed when the job is.
            conn.execute(
                "UPDATE job_stages SET status = ?, error = ? WHERE job_id = ? AND status = 'active'",
                ("failed" if run_after is None else "pending", error, job_id),
            )
        return self.get(job_id)

    def retry(self, job_id: int, extra_attempts: int, now: float) -> Job:
        with self.db.write() as conn:
            job = self.get(job_id)
            if job.status is not JobStatus.FAILED:
                raise ConflictError(
                    f"job {job_id} is {job.status.value}; only a failed job retries"
                )
            conn.execute(
                "UPDATE jobs SET status = 'queued', run_after = ?, max_attempts = ?,"
                " finished_at = NULL WHERE id = ?",
                (now, job.attempts + extra_attempts, job_id),
            )
            conn.execute(
                "UPDATE job_stages SET status = 'pending'"
                " WHERE job_id = ? AND status IN ('failed', 'active')",
                (job_id,),
            )
        return self.get(job_id)

    def _jobs(self, rows: Sequence[Any]) -> list[Job]:
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        stage_rows = self.db.conn.execute(
            f"SELECT job_id, {_STAGE_COLUMNS} FROM job_stages"
            f" WHERE job_id IN ({','.join('?' * len(ids))}) ORDER BY job_id, position",
            ids,
        ).fetchall()
        stages: dict[int, list[StageRun]] = {job_id: [] for job_id in ids}
        for stage_row in stage_rows:
            stages[stage_row["job_id"]].append(_stage_from_row(stage_row))
        return [_job_from_row(row, stages[row["id"]]) for row in rows]


def _check_lease(conn: Connection, job_id: int, worker: str) -> None:
    row = conn.execute("SELECT lease_owner, status FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no job with id {job_id}")
    if row["lease_owner"] != worker or row["status"] != JobStatus.PROCESSING:
        raise LeaseLostError(f"worker {worker} no longer holds job {job_id}")


def _stage_from_row(row: Any) -> StageRun:
    data: dict[str, Any] = dict(row)
    del data["job_id"]
    data["status"] = StageStatus(data["status"])
    return StageRun(**data)


def _job_from_row(row: Any, stages: list[StageRun]) -> Job:
    data: dict[str, Any] = dict(row)
    data["status"] = JobStatus(data["status"])
    return Job(**data, stages=stages)
