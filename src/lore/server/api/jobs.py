"""REST for enrichment jobs: Generate Memory on a session, list and show jobs, retry one.

A job answers with its status, attempts and per-stage status, timing, tokens, LLM calls, items
and errors (with tracebacks). ``POST /sessions/{id}/enrich`` answers 202: the job runs in the
server's worker (``server.run_worker``) or in a ``lore worker``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from lore.domain.jobs import Job, StageRun
from lore.domain.models import MAX_INT
from lore.server.deps import Id, LoreDep, Offset, ProjectDep, page_size

router = APIRouter(tags=["jobs"])


class JobOut(BaseModel):
    id: int
    project_id: int
    session_id: int
    trigger: str
    status: str
    attempts: int
    max_attempts: int
    next_stage: str | None
    items_extracted: int
    llm_calls: int
    tokens: int
    error: str | None
    error_detail: str | None
    run_after: float
    created_at: float
    started_at: float | None
    finished_at: float | None
    lease_owner: str | None
    lease_expires_at: float | None
    stages: list[StageRun]

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            **job.model_dump(exclude={"status"}),
            status=job.status.value,
            next_stage=job.next_stage,
            llm_calls=job.llm_calls,
            tokens=job.tokens,
        )


@router.post("/sessions/{session_id}/enrich", status_code=202)
def enrich_session(session_id: Id, lore: LoreDep, project: ProjectDep) -> JobOut:
    """Generate Memory: queue (or join) the session's enrichment job."""
    lore.session(session_id, project=project)
    return JobOut.of(lore.enrich(session_id))


@router.get("/sessions/{session_id}/jobs")
def session_jobs(
    session_id: Id, lore: LoreDep, project: ProjectDep, limit: int = page_size(50, 500)
) -> list[JobOut]:
    lore.session(session_id, project=project)
    return [JobOut.of(job) for job in lore.job_list(session_id=session_id, limit=limit)]


@router.get("/jobs")
def list_jobs(
    lore: LoreDep,
    project: str | None = None,
    session_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    status: str | None = None,
    limit: int = page_size(50, 500),
    offset: Offset = 0,
) -> list[JobOut]:
    found = lore.job_list(project, session_id=session_id, status=status, limit=limit, offset=offset)
    return [JobOut.of(job) for job in found]


@router.get("/jobs/{job_id}")
def show_job(job_id: Id, lore: LoreDep, project: ProjectDep) -> JobOut:
    return JobOut.of(lore.job(job_id, project=project))


@router.post("/jobs/{job_id}/retry", status_code=202)
def retry_job(job_id: Id, lore: LoreDep, project: ProjectDep) -> JobOut:
    """Queue a failed job again; it resumes at the stage that failed."""
    lore.job(job_id, project=project)
    return JobOut.of(lore.retry_job(job_id))
