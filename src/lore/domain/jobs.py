"""Enrichment jobs as plain, frozen records: a job, its stages and their status."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

# Where the pipeline reads the time (UNIX seconds); tests give a clock they move themselves.
Clock = Callable[[], float]

# The five stages of an enrichment job, in the order they run.
STAGES: tuple[str, ...] = ("enrich", "deep_enrich", "embed", "dedup", "drift")

# manual: lore enrich / Generate Memory; auto_learn: a git digest with the project's auto-learn
# on; session: the session engine (a close, or trajectories finished under auto-commit).
TRIGGERS: tuple[str, ...] = ("manual", "auto_learn", "session")


class JobStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class StageStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


DONE_STAGE_STATUSES = (StageStatus.COMPLETED, StageStatus.SKIPPED)


class StageRun(BaseModel):
    """One stage of one job: when it ran, what it cost and what came of it."""

    model_config = ConfigDict(frozen=True)

    name: str
    status: StageStatus
    started_at: float | None = None
    duration_ms: float | None = None
    tokens: int = 0
    llm_calls: int = 0
    items: int = 0
    runs: int = 0
    note: str | None = None
    error: str | None = None
    error_detail: str | None = None


class Job(BaseModel):
    """An enrichment job of one session. ``attempts`` counts claims by a worker; a job fails
    for good once ``attempts`` reaches ``max_attempts`` (a manual retry raises the limit)."""

    model_config = ConfigDict(frozen=True)

    id: int
    project_id: int
    session_id: int
    trigger: str
    status: JobStatus
    attempts: int
    max_attempts: int
    run_after: float
    lease_owner: str | None
    lease_expires_at: float | None
    items_extracted: int
    error: str | None
    error_detail: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    stages: list[StageRun]

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.COMPLETED, JobStatus.FAILED)

    def stage(self, name: str) -> StageRun:
        for run in self.stages:
            if run.name == name:
                return run
        raise KeyError(name)

    @property
    def next_stage(self) -> str | None:
        """The first stage not completed or skipped: where a run (or a retry) starts."""
        for run in self.stages:
            if run.status not in DONE_STAGE_STATUSES:
                return run.name
        return None

    @property
    def tokens(self) -> int:
        return sum(run.tokens for run in self.stages)

    @property
    def llm_calls(self) -> int:
        return sum(run.llm_calls for run in self.stages)
