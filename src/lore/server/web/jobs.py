"""Enrichment jobs as the dashboard shows them: the pipeline timeline of a session and the job
cards of its Jobs tab and of the Operations page."""

from __future__ import annotations

from pydantic import BaseModel

from lore.domain.jobs import STAGES, Job, JobStatus, StageRun, StageStatus
from lore.server.web.present import stage_label

RUNNING = (JobStatus.QUEUED, JobStatus.PROCESSING)


class StageView(BaseModel):
    name: str
    label: str
    status: StageStatus
    started_at: float | None
    duration_ms: float | None
    tokens: int
    llm_calls: int
    items: int
    note: str | None
    error: str | None
    error_detail: str | None


class JobView(BaseModel):
    id: int
    session_id: int
    project: str
    trigger: str
    status: JobStatus
    attempts: int
    max_attempts: int
    items_extracted: int
    tokens: int
    llm_calls: int
    duration_ms: float | None
    error: str | None
    error_detail: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    stages: list[StageView]
    can_retry: bool


class Timeline(BaseModel):
    """The five stages of the session's latest job (all pending before the first job) and
    whether the page should keep polling for progress."""

    job: JobView | None
    stages: list[StageView]
    live: bool


def job_view(job: Job, project: str, *, latest: bool = True) -> JobView:
    """A job as the dashboard shows it; ``latest``: no later job of its session exists, so a
    failed one can be retried (an earlier one was retried or overtaken already)."""
    ended = job.finished_at if job.finished else None
    return JobView(
        id=job.id,
        session_id=job.session_id,
        project=project,
        trigger=job.trigger,
        status=job.status,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        items_extracted=job.items_extracted,
        tokens=job.tokens,
        llm_calls=job.llm_calls,
        duration_ms=(ended - job.started_at) * 1000 if ended and job.started_at else None,
        error=job.error,
        error_detail=job.error_detail,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        stages=[stage_view(run) for run in job.stages],
        can_retry=job.status is JobStatus.FAILED and latest,
    )


def stage_view(run: StageRun) -> StageView:
    return StageView(
        name=run.name,
        label=stage_label(run.name),
        status=run.status,
        started_at=run.started_at,
        duration_ms=run.duration_ms,
        tokens=run.tokens,
        llm_calls=run.llm_calls,
        items=run.items,
        note=run.note,
        error=run.error,
        error_detail=run.error_detail,
    )


def timeline(latest: JobView | None, *, session_busy: bool) -> Timeline:
    """The timeline of the latest job; ``session_busy`` (extracting) keeps polling while the
    job the session waits for is not queued yet."""
    if latest is None:
        stages = [_pending(name) for name in STAGES]
        return Timeline(job=None, stages=stages, live=session_busy)
    live = latest.status in RUNNING or session_busy
    return Timeline(job=latest, stages=latest.stages, live=live)


def _pending(name: str) -> StageView:
    return StageView(
        name=name,
        label=stage_label(name),
        status=StageStatus.PENDING,
        started_at=None,
        duration_ms=None,
        tokens=0,
        llm_calls=0,
        items=0,
        note=None,
        error=None,
        error_detail=None,
    )
