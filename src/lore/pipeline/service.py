"""``Pipeline``: the job manager, the runner and the workers of one store, wired once.

It is also the session engine's ``ExtractionRunner`` (``lore.sessions.ports``): an extraction
the engine starts (a close, finished trajectories under auto-commit, a retry after failure)
becomes a durable job, and a job that failed is retried from the stage that failed.

A job is run by this process's worker when ``pipeline.in_process_worker`` is on (the library,
``lore serve``), else by the local service (``lore.service``), woken or started when the job is
queued, so that work queued by a short-lived process (the CLI, the stdio MCP server, a hook)
outlives it.

Providers are the session engine's (one LLM and embedder per session configuration, built once),
given a recorder per stage so every call is accounted to its job and stage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping

from lore.config import Settings
from lore.domain import Session
from lore.domain.episodes import Extraction
from lore.domain.jobs import STAGES, Clock, Job, JobStatus
from lore.pipeline.context import (
    PipelineState,
    ProviderSource,
    SessionHooks,
    Stage,
    StageProviders,
)
from lore.pipeline.jobs import JobManager, hand_to_service
from lore.pipeline.runner import JobRunner
from lore.pipeline.stages import STAGE_FUNCTIONS
from lore.pipeline.worker import Worker
from lore.providers.accounting import StoreRecorder
from lore.sessions.events import SessionEvent
from lore.store.base import Store

log = logging.getLogger("lore.pipeline")

# The stages that may call an LLM (deep_enrich with the code model when one is set).
LLM_STAGES = ("enrich", "deep_enrich")
EMBEDDING_STAGES = ("embed", "dedup")
# How long closing waits for the in-process worker to finish its stage and hand its job back.
STOP_WAIT_S = 10.0


class Pipeline:
    name = "pipeline"

    def __init__(
        self,
        store: Store,
        settings: Settings,
        hooks: SessionHooks,
        providers: ProviderSource,
        *,
        jobs: JobManager | None = None,
        clock: Clock = time.time,
        stages: Mapping[str, Stage] = STAGE_FUNCTIONS,
    ) -> None:
        self.store = store
        self.settings = settings
        self.hooks = hooks
        self.jobs = jobs or JobManager(store, settings, clock=clock)
        self.jobs.on_queued = self._job_queued
        self.runner = JobRunner(store, settings, stages, self.providers_for, hooks, clock)
        self.providers = providers
        self._lock = threading.Lock()
        self._background: Worker | None = None

    # Workers

    def worker(self, name: str | None = None) -> Worker:
        return Worker(self.store, self.runner, self.settings.pipeline, name=name)

    def start_worker(self) -> Worker:
        """The in-process worker (a daemon thread), started once."""
        with self._lock:
            if self._background is None:
                self._background = self.worker()
                self._background.start()
            return self._background

    def close(self) -> None:
        """Stop the in-process worker; the jobs it leaves (a job it was running is freed by its
        lease) go to the local service, so they outlive this process."""
        with self._lock:
            background, self._background = self._background, None
        if background is None:
            return
        background.stop(timeout=STOP_WAIT_S)
        if self.settings.service.autostart and self.jobs.unfinished():
            hand_to_service(self.settings)

    def _job_queued(self) -> None:
        """Someone runs the new job: this process's worker, or the local service."""
        if self._background is not None:
            self._background.wake()
        elif self.settings.pipeline.in_process_worker:
            self.start_worker()
        elif self.settings.service.autostart:
            hand_to_service(self.settings)

    # The session engine's runner

    def start(self, extraction: Extraction) -> int:
        """A job for an extraction run: when the run retries a failed one of the same episode
        (commit of a failed session), that run's job again, resuming at the stage that failed;
        else a new job (or the session's queued one)."""
        failed = self._failed_job_retried_by(extraction)
        if failed is not None:
            return self.jobs.retry(failed).id
        return self.jobs.enqueue(extraction.session_id, "session").id

    def _failed_job_retried_by(self, extraction: Extraction) -> int | None:
        runs = [
            r
            for r in self.store.extractions.for_session(extraction.session_id)
            if r.id < extraction.id
        ]
        previous = runs[-1] if runs else None
        if previous is None or previous.runner != self.name or previous.job_id is None:
            return None
        if previous.status != "failed":
            return None
        if previous.episode_id != extraction.episode_id:
            return None
        job = self.store.jobs.get(previous.job_id)
        return job.id if job.status is JobStatus.FAILED else None

    def resume(self, extraction: Extraction) -> None:
        """After a restart: a queued or running job carries on by itself (an expired lease frees
        it); a job that ended without the engine hearing of it reports its end again."""
        if extraction.job_id is None:
            job_id = self.start(extraction)
            self.store.extractions.set_job(extraction.id, job_id)
            return
        job = self.store.jobs.get(extraction.job_id)
        if job.status is JobStatus.FAILED:
            self.hooks.extraction_finished(job.session_id, job.id, False, job.error)
        elif job.status is JobStatus.COMPLETED:
            self._report_completed(job)
        else:
            self._job_queued()

    def _report_completed(self, job: Job) -> None:
        output = self.store.jobs.stage_output(job.id, STAGES[-1])
        state = PipelineState.model_validate_json(output) if output else None
        self.hooks.extraction_finished(
            job.session_id,
            job.id,
            True,
            None,
            state.changeset if state else None,
            vectors=state.all_vectors() if state else None,
            embedding_model=state.embedding_model if state else None,
        )

    def on_session_event(self, event: SessionEvent) -> None:
        """Engine observer: once a changeset is committed, fold its repeats into the items
        they repeat (Dedup marked them)."""
        if event.kind == "changeset_applied":
            created = list(event.data.get("node_ids") or [])
            self.store.item_matches.fold_merges(event.project_id, self.runner.clock(), created)

    # Providers

    def providers_for(self, job: Job, stage: str) -> StageProviders:
        """The providers a stage of ``job`` runs with: the session's own (its overrides laid
        over the project's), offline (no LLM) unless one is configured."""
        session = self.store.sessions.get(job.session_id)
        project = self.store.projects.get(job.project_id)
        llm = None
        if stage in LLM_STAGES:
            chosen = self.providers.llm(project, _with_code_model(session, self.settings, stage))
            if chosen is not None:
                recorder = StoreRecorder(
                    self.store, project_id=job.project_id, job_id=job.id, stage=stage
                )
                llm = chosen.with_recorder(recorder)
        embedder = self.providers.embedder(session) if stage in EMBEDDING_STAGES else None
        return StageProviders(llm=llm, embedder=embedder)


def _with_code_model(session: Session, settings: Settings, stage: str) -> Session:
    """For Deep Enrich, ``llm.code_model`` (when set and no model is set for the step) answers
    the deep_enrich step."""
    code_model = settings.llm.code_model
    if stage != "deep_enrich" or not code_model or "deep_enrich" in settings.llm.steps:
        return session
    llm = dict(session.overrides.get("llm") or {})
    llm["steps"] = {"deep_enrich": code_model, **llm.get("steps", {})}
    return session.model_copy(update={"overrides": {**session.overrides, "llm": llm}})
