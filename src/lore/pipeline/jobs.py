"""Queueing enrichment jobs: manual triggers, auto-learn, retries and waiting.

Auto-learn makes every captured session memory by itself, when the project's ``auto_learn`` is
on and the session's source is one of the project's ``auto_enrich_sources`` (unset: those of
``pipeline.auto_enrich_sources``; ``*``: every source; ``git_digest`` events always count):

- a session that ends (``Lore.close``) is enriched at once;
- a session still collecting is enriched as its events come, debounced: runs are at least
  ``pipeline.auto_learn_interval_s`` apart per project, a trigger inside the interval queues a
  job due at its end, and later events join that job (it processes every event not yet
  enriched when it runs). Nothing is dropped: every new event is covered by a queued job.

Sessions the session engine runs (``start_session``) are left to it: their extraction jobs
enrich their events.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence

from lore.config import Settings
from lore.domain import Project, Session
from lore.domain.jobs import STAGES, TRIGGERS, Clock, Job, JobStatus
from lore.errors import ValidationError, WaitTimeoutError, one_of
from lore.store.base import AppendOutcome, PreparedEvent, Store

AUTO_LEARN = "auto_learn"
UNFINISHED = (JobStatus.QUEUED, JobStatus.PROCESSING)
# project_state key: when the latest auto-learn run of the project was scheduled to start.
AUTO_LEARN_STATE = "pipeline.auto_learn.last_run"


class JobManager:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        clock: Clock = time.time,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        # Set by the pipeline of this process, which runs the job or hands it to the service.
        self.on_queued = on_queued

    def enqueue(
        self, session_id: int, trigger: str = "manual", *, run_after: float | None = None
    ) -> Job:
        """Queue an enrichment job for a session. A queued job takes the new work in; a manual
        trigger while a job of the session runs returns that job."""
        if trigger not in TRIGGERS:
            raise ValidationError(f"trigger must be one of {', '.join(TRIGGERS)}", "trigger")
        session = self.store.sessions.get(session_id)
        if trigger == "manual":
            running = self.store.jobs.find(session_id=session_id, statuses=[JobStatus.PROCESSING])
            if running:
                return running[0]
        now = self.clock()
        job = self.store.jobs.enqueue(
            session.project_id,
            session_id,
            trigger,
            STAGES,
            max_attempts=self.settings.pipeline.max_attempts,
            run_after=now if run_after is None else run_after,
            now=now,
        )
        self._queued()
        return job

    def retry(self, job_id: int) -> Job:
        """Queue a failed job again: it resumes at the stage that failed."""
        job = self.store.jobs.retry(job_id, self.settings.pipeline.max_attempts, self.clock())
        self._queued()
        return job

    def unfinished(self) -> bool:
        """A job is queued (perhaps for later) or running, in any project."""
        return bool(self.store.jobs.find(statuses=UNFINISHED, limit=1))

    def ensure_runner(self) -> None:
        """Jobs left queued with nobody to run them (their process ended before handing them
        over, or the service that held them died) go to the local service."""
        if self.on_queued is None and self.settings.service.autostart and self.unfinished():
            hand_to_service(self.settings)

    def _queued(self) -> None:
        """Someone must run the new job: the pipeline of this process decides, and without one
        the local service does."""
        if self.on_queued is not None:
            self.on_queued()
        elif self.settings.service.autostart:
            hand_to_service(self.settings)

    def get(self, job_id: int) -> Job:
        return self.store.jobs.get(job_id)

    def find(
        self,
        *,
        project_id: int | None = None,
        session_id: int | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Job]:
        """Jobs, newest first; ``status`` is queued, processing, completed or failed."""
        statuses = [one_of(JobStatus, status, "status")] if status else None
        return self.store.jobs.find(
            project_id=project_id,
            session_id=session_id,
            statuses=statuses,
            limit=limit,
            offset=offset,
        )

    def wait(self, job_id: int, *, timeout_s: float = 600.0, poll_s: float = 0.2) -> Job:
        """Poll until the job is completed or failed (a requeued job keeps waiting)."""
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.store.jobs.get(job_id)
            if job.finished:
                return job
            if time.monotonic() > deadline:
                raise WaitTimeoutError(f"job {job_id} is still {job.status.value}")
            time.sleep(poll_s)

    def on_events(
        self, project: Project, outcome: AppendOutcome, events: Sequence[PreparedEvent]
    ) -> None:
        """Capture listener: queue auto-learn jobs for the sessions new trigger events joined."""
        if not project.settings.auto_learn:
            return
        for session_id in self._triggered_sessions(project, outcome, events):
            self._schedule_auto_learn(project, session_id)

    def on_session_closed(self, project: Project, session: Session) -> None:
        """A captured session ended: enrich what is left of it now."""
        if (
            project.settings.auto_learn
            and self._learns_from(project, session.source)
            and not self.store.episodes.is_managed(session.id)
            and self.store.events.unenriched(session.id)
        ):
            self.enqueue(session.id, AUTO_LEARN)

    def _triggered_sessions(
        self, project: Project, outcome: AppendOutcome, events: Sequence[PreparedEvent]
    ) -> list[int]:
        new = set(outcome.new_event_ids)
        sessions: list[int] = []
        for event, event_id, session_id in zip(
            events, outcome.event_ids, outcome.session_ids, strict=True
        ):
            triggers = event.type == "git_digest" or self._learns_from(project, event.source)
            if triggers and event_id in new and session_id not in sessions:
                sessions.append(session_id)
        return [s for s in sessions if not self.store.episodes.is_managed(s)]

    def _learns_from(self, project: Project, source: str) -> bool:
        sources = project.settings.auto_enrich_sources
        if sources is None:
            sources = self.settings.pipeline.auto_enrich_sources
        return "*" in sources or source in sources

    def _schedule_auto_learn(self, project: Project, session_id: int) -> None:
        if self.store.jobs.find(session_id=session_id, statuses=[JobStatus.QUEUED]):
            return  # the events join the job already waiting for this session
        last = self.store.projects.get_state(project.id, AUTO_LEARN_STATE)
        interval = self.settings.pipeline.auto_learn_interval_s
        earliest = (float(last) if last else -math.inf) + interval
        run_after = max(self.clock(), earliest)
        self.enqueue(session_id, AUTO_LEARN, run_after=run_after)
        self.store.projects.set_state(project.id, AUTO_LEARN_STATE, repr(run_after))


def hand_to_service(settings: Settings) -> None:
    """Have the local service run the queued jobs of this database: woken, or started."""
    from lore.service import client

    client.wake(settings.home, os.getcwd(), settings.database)
