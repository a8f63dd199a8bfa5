"""The Memory page's Sessions tab and the session detail page (timeline, events, jobs)."""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from lore.domain import Event, Session, SessionState
from lore.domain.models import SessionStatus, parse_status
from lore.server.deps import Id, LoreDep, Offset, PageScope
from lore.server.web.jobs import RUNNING, JobView, Timeline, job_view, timeline
from lore.server.web.present import SourceView, source_view
from lore.server.web.render import (
    Layout,
    back,
    is_fragment_request,
    layout,
    page_window,
    respond,
    wants_json,
)
from lore.server.web.routing import page_router

router = page_router()

PAGE_SIZE = 12
EVENTS_PAGE = 100

SessionTab = Literal["events", "jobs"]


class SessionCard(BaseModel):
    id: int
    project: str
    source: SourceView
    status: SessionStatus
    state: str
    goal: str
    event_count: int
    items_extracted: int
    enriched: bool
    created_at: float
    last_event_at: float | None
    closed_at: float | None
    completed_at: float | None
    error: str | None


class SessionsPage(BaseModel):
    project: str
    sessions: list[SessionCard]
    status: str | None
    source: str | None
    # Sessions whose goal or events hold these words.
    q: str | None
    # A token of what the list shows: the page's poller sends it back to learn of changes.
    shown: str
    statuses: list[str]
    sources: list[SourceView]
    page: int
    pages: int
    total: int


class EventRow(BaseModel):
    id: int
    type: str
    source: SourceView
    created_at: float
    occurred_at: float | None
    payload: dict[str, object]
    enriched: bool


class SessionActions(BaseModel):
    can_close: bool
    can_generate: bool
    retry_job: int | None
    # The one action the session's state calls for, drawn as the primary button: Retry after
    # a failure, else Generate Memory while nothing is enriched, else none.
    primary: Literal["retry", "generate"] | None


class SessionLive(BaseModel):
    """The part of the session page that changes while a job runs: header, actions, timeline."""

    session: SessionCard
    actions: SessionActions
    timeline: Timeline
    tab: SessionTab


class SessionPage(SessionLive):
    events: list[EventRow]
    more_events_after: int | None
    jobs: list[JobView]


@router.get("/")
def home(lore: LoreDep, project: str | None = None) -> Response:
    """The Memory page of the chosen project (the switcher), the configured one or the only one;
    else the project list."""
    projects = lore.projects()
    if project:
        chosen: str | None = lore.project(project).name
    else:
        chosen = lore.settings.project or (projects[0].name if len(projects) == 1 else None)
    target = f"/projects/{chosen}/sessions" if chosen else "/projects"
    return RedirectResponse(target, status_code=303)


@router.get("/projects/{ref}/sessions")
def sessions_tab(
    request: Request,
    ref: str,
    lore: LoreDep,
    status: str | None = None,
    source: str | None = None,
    q: str | None = None,
    page: int = 1,
    seen: str | None = None,
) -> Response:
    """The session cards; polled every few seconds by the page itself, which gets 204 (nothing
    swapped, nothing announced again) while ``seen`` still matches what it would show."""
    project = lore.project(ref)
    status, source, q = status or None, source or None, (q or "").strip() or None
    wanted = parse_status(status)
    total = lore.store.sessions.count(project.id, status=wanted, source=source, text=q)
    page, pages = page_window(page, total, PAGE_SIZE)
    found = lore.store.sessions.find(
        project.id,
        status=wanted,
        source=source,
        text=q,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    # The filters offer what the project's sessions have (and what the address asks for).
    present_sources, present_statuses = lore.store.sessions.facets(project.id)
    names = sorted({*present_sources, *([source] if source else [])})
    statuses: list[str] = [
        shown.value for shown in SessionStatus if shown in present_statuses or shown == wanted
    ]
    cards = [card(session, project.name) for session in found]
    shown = hashlib.sha256(
        json.dumps([total, [c.model_dump(mode="json") for c in cards]]).encode()
    ).hexdigest()[:16]
    if seen == shown and is_fragment_request(request):
        return Response(status_code=204)
    context = SessionsPage(
        project=project.name,
        sessions=cards,
        shown=shown,
        status=status,
        source=source,
        q=q,
        statuses=statuses,
        sources=[source_view(name) for name in names],
        page=page,
        pages=pages,
        total=total,
    )
    frame = layout(lore, f"{project.name} · sessions", "memory", project.name)
    return respond(request, "sessions.html", context, frame, fragment="_session_list.html")


@router.get("/sessions/{session_id}")
def session_page(
    request: Request,
    session_id: Id,
    lore: LoreDep,
    tab: SessionTab = "events",
    after: Offset = 0,
    scope: PageScope = None,
) -> Response:
    lore.session(session_id, project=scope)
    page = _page(lore, _live(lore, session_id, tab), after)
    return respond(request, "session.html", page, _frame(lore, page), fragment="_session_tabs.html")


@router.get("/sessions/{session_id}/live")
def session_live(
    request: Request,
    session_id: Id,
    lore: LoreDep,
    tab: SessionTab = "events",
    scope: PageScope = None,
) -> Response:
    """The polled part of the session page. The tabs below are refreshed too (an out-of-band
    swap) once the job has ended, and at every poll when they show the jobs, so they keep up;
    an events tab is left alone while the job runs, so open payloads stay open."""
    lore.session(session_id, project=scope)
    live = _live(lore, session_id, tab)
    quiet = live.timeline.live and tab == "events"
    if quiet or wants_json(request):
        return respond(request, "_session_live.html", live, _frame(lore, live), refresh_tab=False)
    page = _page(lore, live, after=0)
    return respond(request, "_session_live.html", page, _frame(lore, page), refresh_tab=True)


@router.post("/sessions/{session_id}/close")
def close_session(
    request: Request, session_id: Id, lore: LoreDep, scope: PageScope = None
) -> Response:
    lore.session(session_id, project=scope)
    lore.close(session_id)
    return _after_action(request, lore, session_id)


@router.post("/sessions/{session_id}/enrich")
def generate_memory(
    request: Request, session_id: Id, lore: LoreDep, scope: PageScope = None
) -> Response:
    lore.session(session_id, project=scope)
    lore.enrich(session_id)
    return _after_action(request, lore, session_id)


@router.post("/jobs/{job_id}/retry")
def retry_job(request: Request, job_id: Id, lore: LoreDep, scope: PageScope = None) -> Response:
    lore.job(job_id, project=scope)
    job = lore.retry_job(job_id)
    return _after_action(request, lore, job.session_id)


def _after_action(request: Request, lore: LoreDep, session_id: int) -> Response:
    """htmx swaps the session's live part in place; without JavaScript, back to the page."""
    if not is_fragment_request(request):
        return back(request, f"/sessions/{session_id}")
    tab = request.query_params.get("tab", "events")
    live = _live(lore, session_id, "jobs" if tab == "jobs" else "events")
    return respond(request, "_session_live.html", live, _frame(lore, live), refresh_tab=False)


def _live(lore: LoreDep, session_id: int, tab: SessionTab) -> SessionLive:
    session = lore.session(session_id)
    project = lore.store.projects.get(session.project_id).name
    latest = lore.store.jobs.find(session_id=session_id, limit=1)
    latest_view = job_view(latest[0], project) if latest else None
    busy = session.state is SessionState.EXTRACTING
    running = latest_view is not None and latest_view.status in RUNNING
    can_generate = not running and not busy and session.event_count > 0
    retry_job = latest_view.id if latest_view and latest_view.can_retry else None
    primary: Literal["retry", "generate"] | None = None
    if retry_job is not None:
        primary = "retry"
    elif can_generate and not session.enriched:
        primary = "generate"
    return SessionLive(
        session=card(session, project),
        actions=SessionActions(
            can_close=session.state is SessionState.COLLECTING,
            can_generate=can_generate,
            retry_job=retry_job,
            primary=primary,
        ),
        timeline=timeline(latest_view, session_busy=busy),
        tab=tab,
    )


def _page(lore: LoreDep, live: SessionLive, after: int) -> SessionPage:
    session_id = live.session.id
    shown = lore.store.events.for_session(session_id, after_id=after, limit=EVENTS_PAGE + 1)
    jobs = lore.store.jobs.find(session_id=session_id)
    return SessionPage(
        **dict(live),
        events=[_event_row(event) for event in shown[:EVENTS_PAGE]],
        more_events_after=shown[EVENTS_PAGE - 1].id if len(shown) > EVENTS_PAGE else None,
        jobs=[  # newest first: only the newest can be retried
            job_view(job, live.session.project, latest=index == 0) for index, job in enumerate(jobs)
        ],
    )


def _frame(lore: LoreDep, live: SessionLive) -> Layout:
    return layout(lore, f"Session {live.session.id}", "memory", live.session.project)


def card(session: Session, project: str) -> SessionCard:
    return SessionCard(
        id=session.id,
        project=project,
        source=source_view(session.source),
        status=session.status,
        state=session.state.value,
        goal=session.goal,
        event_count=session.event_count,
        items_extracted=session.items_extracted,
        enriched=session.enriched,
        created_at=session.created_at,
        last_event_at=session.last_event_at,
        closed_at=session.closed_at,
        completed_at=session.completed_at,
        error=session.error,
    )


def _event_row(event: Event) -> EventRow:
    return EventRow(
        id=event.id,
        type=event.type,
        source=source_view(event.source),
        created_at=event.created_at,
        occurred_at=event.occurred_at,
        payload=event.payload,
        enriched=event.enriched_job_id is not None,
    )
