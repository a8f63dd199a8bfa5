"""The Operations page: every project's sessions and jobs, the queue, recent errors, and LLM calls
and tokens per day."""

from __future__ import annotations

import time

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from lore.domain.jobs import JobStatus
from lore.domain.models import SessionStatus
from lore.server.deps import LoreDep
from lore.server.web.jobs import RUNNING, JobView, job_view
from lore.server.web.render import layout, page_window, respond
from lore.server.web.routing import page_router
from lore.server.web.sessions import SessionCard, card

router = page_router()

JOBS_PAGE = 20
SESSIONS_PAGE = 20
RECENT = 10
USAGE_DAYS = 14
DAY_S = 86400.0


class DayUsage(BaseModel):
    day: str
    calls: int
    errors: int
    prompt_tokens: int
    completion_tokens: int
    tokens: int
    share: float  # of the busiest day's tokens, for the bar


class ErrorRow(BaseModel):
    at: float | None
    what: str
    message: str
    href: str


class OperationsPage(BaseModel):
    jobs_by_status: dict[JobStatus, int]
    sessions_by_status: dict[SessionStatus, int]
    jobs: list[JobView]
    job_status: JobStatus | None
    page: int
    pages: int
    sessions: list[SessionCard]
    sessions_page: int
    sessions_pages: int
    errors: list[ErrorRow]
    usage: list[DayUsage]
    live: bool


@router.get("/operations")
def operations_page(
    request: Request,
    lore: LoreDep,
    status: JobStatus | None = None,
    page: int = 1,
    sessions_page: int = 1,
) -> Response:
    store = lore.store
    jobs_by_status = store.overview.job_counts()
    total = sum(jobs_by_status.values()) if status is None else jobs_by_status[status]
    page, pages = page_window(page, total, JOBS_PAGE)
    sessions_by_status = {shown: store.sessions.count(status=shown) for shown in SessionStatus}
    sessions_page, sessions_pages = page_window(
        sessions_page, sum(sessions_by_status.values()), SESSIONS_PAGE
    )
    sessions = store.sessions.find(limit=SESSIONS_PAGE, offset=(sessions_page - 1) * SESSIONS_PAGE)
    names = {project.id: project.name for project in lore.projects()}
    jobs = store.jobs.find(
        statuses=[status] if status else None, limit=JOBS_PAGE, offset=(page - 1) * JOBS_PAGE
    )
    failed = {job.session_id for job in jobs if job.status is JobStatus.FAILED}
    newest = {store.jobs.find(session_id=sid, limit=1)[0].id for sid in failed}
    context = OperationsPage(
        jobs_by_status=jobs_by_status,
        sessions_by_status=sessions_by_status,
        jobs=[
            job_view(job, names.get(job.project_id, "?"), latest=job.id in newest) for job in jobs
        ],
        job_status=status,
        page=page,
        pages=pages,
        sessions=[card(session, names.get(session.project_id, "?")) for session in sessions],
        sessions_page=sessions_page,
        sessions_pages=sessions_pages,
        errors=_errors(lore, names),
        usage=_usage(lore),
        live=any(jobs_by_status[running] for running in RUNNING),
    )
    frame = layout(lore, "Operations", "operations")
    return respond(request, "operations.html", context, frame, fragment="_operations.html")


def _errors(lore: LoreDep, names: dict[int, str]) -> list[ErrorRow]:
    """The latest failed jobs and failed sessions, newest first."""
    rows = [
        ErrorRow(
            at=job.finished_at,
            what=f"Job {job.id} of session {job.session_id} · {names.get(job.project_id, '?')}",
            message=job.error or "failed",
            href=f"/sessions/{job.session_id}?tab=jobs",
        )
        for job in lore.store.jobs.find(statuses=[JobStatus.FAILED], limit=RECENT)
    ]
    failed = lore.store.sessions.find(status=SessionStatus.FAILED, limit=RECENT)
    rows += [
        ErrorRow(
            at=session.completed_at or session.last_event_at or session.created_at,
            what=f"Session {session.id} · {names.get(session.project_id, '?')}",
            message=session.error or "failed",
            href=f"/sessions/{session.id}",
        )
        for session in failed
    ]
    return sorted(rows, key=lambda row: row.at or 0.0, reverse=True)[:RECENT]


def _usage(lore: LoreDep) -> list[DayUsage]:
    since = time.time() - USAGE_DAYS * DAY_S
    days = lore.store.llm_calls.usage("day", since=since)
    busiest = max((day.total_tokens for day in days), default=0) or 1
    return [
        DayUsage(
            day=str(day.key),
            calls=day.calls,
            errors=day.errors,
            prompt_tokens=day.prompt_tokens,
            completion_tokens=day.completion_tokens,
            tokens=day.total_tokens,
            share=day.total_tokens / busiest,
        )
        for day in reversed(days)
    ]
