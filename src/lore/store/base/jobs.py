"""Enrichment jobs and their stages: queueing, claiming with leases, outcomes, retries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from lore.domain.jobs import Job, JobStatus, StageStatus


@dataclass(frozen=True, slots=True)
class StageOutcome:
    """How a stage ended, as the runner records it with the stage's stored output."""

    status: StageStatus
    duration_ms: float
    output: str | None = None
    tokens: int = 0
    llm_calls: int = 0
    items: int = 0
    note: str | None = None
    error: str | None = None
    error_detail: str | None = None


class JobStore(Protocol):
    """Durable enrichment jobs. Every change a worker makes names the worker: once its lease is
    gone (another worker claimed the job) the change raises ``LeaseLostError``."""

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
        """Queue a job for the session, atomically, unless one is already queued: then the new
        work joins it (and it runs no later than ``run_after``)."""
        ...

    def get(self, job_id: int) -> Job: ...
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
        """Newest first."""
        ...

    def claim(self, worker: str, lease_s: float, now: float) -> Job | None:
        """Atomically take the oldest due queued job, or a processing one whose lease expired;
        a session's jobs run one at a time, in order."""
        ...

    def renew(self, job_id: int, worker: str, lease_s: float, now: float) -> bool:
        """Extend the lease; False when the worker no longer holds it."""
        ...

    def lease_owners(self) -> list[str]:
        """The workers holding a lease on a processing job."""
        ...

    def expire_leases(self, owners: Sequence[str]) -> int:
        """End the leases of these (dead) workers now, so their jobs can be claimed again."""
        ...

    def start_stage(self, job_id: int, worker: str, stage: str, now: float) -> None: ...
    def end_stage(self, job_id: int, worker: str, stage: str, outcome: StageOutcome) -> None:
        """Record a completed, skipped or failed stage and its output in one transaction."""
        ...

    def stage_output(self, job_id: int, stage: str) -> str | None: ...
    def complete(
        self, job_id: int, worker: str, items: int, event_ids: Sequence[int], now: float
    ) -> Job:
        """Finish the job and mark its events enriched by it, atomically."""
        ...

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
        """Give the job back: queued again at ``run_after`` (a transient error), or failed for
        good when ``run_after`` is None. A stage left active goes back to pending, or fails."""
        ...

    def retry(self, job_id: int, extra_attempts: int, now: float) -> Job:
        """Queue a failed job again; its failed stages go back to pending, finished ones stay."""
        ...
