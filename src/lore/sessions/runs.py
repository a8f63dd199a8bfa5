"""The session engine's extraction runs: the hooks the jobs that run them call
(``ExtractionHost``), beginning, launching and ending runs, and preparing their commits.

``SessionEngine`` inherits this part; it is split out only to keep each module readable, and
uses the engine's store, providers, locks and notifications (declared below for the type
checker).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from lore.config import Settings
from lore.domain import Project, Session, SessionState
from lore.domain.episodes import Episode, EpisodeStatus, Extraction, StoredChangeset
from lore.domain.graph import Changeset
from lore.errors import ConflictError, SessionError
from lore.extraction.trajectory import StructuredLLM
from lore.sessions.commit import PreparedCommit, apply_commits, end_episode, prepare
from lore.sessions.config import SessionConfig
from lore.sessions.events import SessionEvent
from lore.sessions.extract import extract_run, run_extraction
from lore.sessions.ports import ExtractionOutput, ExtractionRunner
from lore.sessions.providers import SessionProviders
from lore.sessions.queue import OperationQueue
from lore.sessions.states import EXTRACTING, FAILED, IDLE, READY, session_error
from lore.store.base import Store

log = logging.getLogger("lore.sessions")


class ExtractionRuns:
    store: Store
    settings: Settings
    providers: SessionProviders
    runner: ExtractionRunner
    queue: OperationQueue

    if TYPE_CHECKING:  # provided by SessionEngine

        def session_lock(self, session_id: int) -> threading.RLock: ...
        def config_of(self, session: Session, project: Project | None = None) -> SessionConfig: ...
        def close(
            self, session_id: int, *, op_id: int | None = None, reason: str = "close"
        ) -> str: ...
        def notify(self, kind: Any, session: Session, **data: Any) -> None: ...
        def _send(self, events: list[SessionEvent]) -> None: ...
        def _transition(
            self, session: Session, before: SessionState, after: SessionState, reason: str
        ) -> None: ...

    # Extraction runs and the hooks their jobs call

    def run_extraction(self, extraction_id: int) -> ExtractionOutput:
        """The work of one run (``ExtractionHost``): its changeset and the drafts' vectors."""
        return run_extraction(self.store, self.settings, self.providers, extraction_id)

    def extract(self, run: Extraction, llm: StructuredLLM | None) -> Changeset:
        """The changeset of a run's steps; the pipeline's Enrich stage calls this with its LLM."""
        return extract_run(self.store, self.settings, run, llm)

    def extraction_started(self, session_id: int, job_id: int) -> None:
        """A job of the session started (again): bind it to the run it carries out, or, for a
        job the engine did not start (Generate Memory, auto-learn), begin that run."""
        with self.session_lock(session_id):
            if self.store.extractions.for_job(session_id, job_id) is not None:
                return
            running = self.store.extractions.running(session_id)
            if running:
                if running[0].job_id is None:
                    self.store.extractions.set_job(running[0].id, job_id)
                return
            self._adopt(self.store.sessions.get(session_id), job_id)

    def rerun(self, session_id: int, job_id: int) -> None:
        """Before a failed job of a session that went on collecting runs again: a new run,
        bound to the job, takes back exactly the steps the failed run handed back, so the job
        resumes at its failed stage with its earlier stages' output and its end commits them.
        (A failed session retries through ``commit``, which moves it out of failed.)"""
        with self.session_lock(session_id):
            failed = self.store.extractions.for_job(session_id, job_id)
            if failed is None or failed.status != "failed":
                raise ConflictError(f"job {job_id} has no failed extraction run to retry")
            if self.store.extractions.running(session_id):
                raise ConflictError(f"session {session_id} is extracting; retry when it ends")
            with self.store.transaction():
                self.store.sessions.set_error(session_id, None)
                run = self.store.extractions.begin(
                    session_id, failed.episode_id, failed.scope, failed.runner, job_id=job_id
                )
                self.store.steps.reclaim(failed.id, run.id)
        log.info("session %s: job %s runs again for extraction %s", session_id, job_id, run.id)

    def _adopt(self, session: Session, job_id: int) -> None:
        episode = self.store.episodes.open_for(session.id) or self.store.episodes.latest(session.id)
        closing = session.state in (IDLE, FAILED, EXTRACTING)
        with self.store.transaction():
            run = self._begin_run(
                session.id,
                episode,
                "episode" if closing else "trajectory",
                job_id=job_id,
                runner="pipeline",
            )
            if closing and session.state is not EXTRACTING:
                self.store.sessions.set_state(session.id, EXTRACTING, expected=[session.state])
        if closing and session.state is not EXTRACTING:
            self._transition(session, session.state, EXTRACTING, "job")
        log.info("session %s: job %s runs extraction %s", session.id, job_id, run.id)

    def extraction_finished(
        self,
        session_id: int,
        job_id: int,
        ok: bool,
        error: str | None,
        changeset: Changeset | None = None,
        *,
        vectors: Mapping[str, NDArray[np.float32]] | None = None,
        embedding_model: str | None = None,
    ) -> None:
        """A job ended. Success moves the session to ready, or (auto-commit) commits and returns
        it to idle; failure moves it to failed and fails its queued operations. Idempotent."""
        with self.session_lock(session_id):
            run = self._run_of(session_id, job_id)
            if run is None or run.status != "running":
                return
            if ok:
                output = ExtractionOutput(
                    changeset
                    or Changeset(session_id=session_id, episode_id=run.episode_id, job_id=job_id),
                    dict(vectors or {}),
                    embedding_model,
                )
                self._succeeded(run, output)
            else:
                self._failed(run, error or "extraction failed")
        self.queue.drain(session_id)

    def _run_of(self, session_id: int, job_id: int) -> Extraction | None:
        found = self.store.extractions.for_job(session_id, job_id)
        if found is not None:
            return found
        running = self.store.extractions.running(session_id)
        return running[0] if len(running) == 1 and running[0].job_id in (None, job_id) else None

    def _succeeded(self, run: Extraction, output: ExtractionOutput) -> None:
        session = self.store.sessions.get(run.session_id)
        config = self.config_of(session)
        if not config.auto_commit:
            with self.store.transaction():
                if not self.store.extractions.finish(run.id, "succeeded"):
                    return
                self._keep(run, output)
                if run.scope == "episode":
                    self.store.sessions.set_state(session.id, READY, expected=[EXTRACTING])
            if run.scope == "episode":
                self._transition(session, EXTRACTING, READY, "extracted")
            return
        try:
            self._commit_run(session, run, output)
        except Exception as exc:  # the graph refused it: the run failed, the steps stay
            log.exception("session %s: committing extraction %s failed", session.id, run.id)
            self._failed(run, f"commit failed: {type(exc).__name__}: {exc}")

    def _commit_run(self, session: Session, run: Extraction, output: ExtractionOutput) -> None:
        prepared = self._prepare(session, output.changeset, output.vectors, output.embedding_model)
        closing = run.scope == "episode"
        with self.store.transaction():
            if not self.store.extractions.finish(run.id, "succeeded"):
                return
            stored = self._keep(run, output)
            events = apply_commits(
                self.store, session, [dataclasses.replace(prepared, stored_id=stored)]
            )
            if closing:
                end_episode(self.store, session.id, EpisodeStatus.COMMITTED)
                self.store.sessions.set_state(session.id, IDLE, expected=[EXTRACTING])
        self._send(events)
        if closing:
            self._transition(session, EXTRACTING, IDLE, "auto_commit")
        else:
            self._flush_finished(session.id)

    def _keep(self, run: Extraction, output: ExtractionOutput) -> int:
        return self.store.changesets.add(
            output.changeset,
            extraction_id=run.id,
            vectors=output.vectors,
            embedding_model=output.embedding_model,
        ).id

    def _failed(self, run: Extraction, error: str) -> None:
        session = self.store.sessions.get(run.session_id)
        closing = run.scope == "episode" and session.state is EXTRACTING
        with self.store.transaction():
            if not self.store.extractions.finish(run.id, "failed", error):
                return
            self.store.steps.release(run.id)
            if closing:
                self.store.sessions.set_state(
                    session.id, FAILED, expected=[EXTRACTING], error=error
                )
            else:  # the session goes on collecting, and shows the failure until the next run
                self.store.sessions.set_error(session.id, error)
            failed = self.store.ops.fail_pending(session.id, "extraction_failed", error)
        self.notify(
            "extraction_failed", session, extraction_id=run.id, job_id=run.job_id, error=error
        )
        if closing:
            self._transition(session, EXTRACTING, FAILED, "extraction_failed")
        self.queue.callbacks.deliver(
            (op_id, session_error("extraction_failed", f"extraction failed: {error}", session.id))
            for op_id in failed
        )

    def _begin_run(
        self,
        session_id: int,
        episode: Episode | None,
        scope: str,
        *,
        upto_trajectory: int | None = None,
        job_id: int | None = None,
        runner: str | None = None,
    ) -> Extraction:
        """Record a run and give it its steps (inside the caller's transaction); the failure
        of an earlier run is no longer the session's latest."""
        self.store.sessions.set_error(session_id, None)
        run = self.store.extractions.begin(
            session_id,
            episode.id if episode else None,
            "episode" if scope == "episode" else "trajectory",
            runner or self.runner.name,
            job_id=job_id,
        )
        if episode is not None:
            self.store.steps.claim(run.id, episode.id, upto_trajectory=upto_trajectory)
        return run

    def _launch(self, run: Extraction) -> None:
        job_id = self.runner.start(run)
        if job_id != run.job_id:
            self.store.extractions.set_job(run.id, job_id)

    def _flush(self, session_id: int, *, upto_trajectory: int | None) -> None:
        """Auto-commit: extract finished trajectories (or, on the idle timer, the open one)
        while the session keeps collecting. One run at a time per session."""
        with self.session_lock(session_id):
            episode = self.store.episodes.open_for(session_id)
            if episode is None or self.store.extractions.running(session_id):
                return
            ready = [
                step
                for step in self.store.steps.unclaimed(episode.id)
                if upto_trajectory is None or (step.trajectory or 0) <= upto_trajectory
            ]
            if not ready:
                return
            with self.store.transaction():
                if self.store.extractions.running(session_id):  # another process began one
                    return
                run = self._begin_run(
                    session_id, episode, "trajectory", upto_trajectory=upto_trajectory
                )
        self._launch(run)

    def _flush_finished(self, session_id: int) -> None:
        """After a trajectory run: trajectories that ended meanwhile go next."""
        episode = self.store.episodes.open_for(session_id)
        steps = self.store.steps.unclaimed(episode.id) if episode else []
        current = max(
            (s.trajectory or 0 for s in self.store.steps.recent(session_id, 1)), default=0
        )
        if any((s.trajectory or 0) < current for s in steps):
            self._flush(session_id, upto_trajectory=current - 1)

    def flush_open_trajectory(self, session_id: int) -> None:
        """The trajectory idle timer fired: extract what the open trajectory holds so far;
        not while a step is still being annotated, whose annotation scores the reward of the
        step before it (the next tick looks again)."""
        if self.store.steps.count_unannotated(session_id):
            return
        self._flush(session_id, upto_trajectory=None)

    def close_idle(self, session_id: int) -> None:
        """The session idle timer fired: close the session as a caller would (busy, or closed
        by another process meanwhile: the next tick looks again)."""
        try:
            self.close(session_id, reason="idle_timeout")
        except (SessionError, ConflictError) as exc:
            log.debug("session %s: idle close skipped (%s)", session_id, exc)

    # Commit

    def _prepare_stored(self, session: Session, stored: StoredChangeset) -> PreparedCommit:
        vectors = {ref: np.asarray(v, dtype=np.float32) for ref, v in stored.vectors.items()}
        prepared = self._prepare(session, stored.changeset, vectors, stored.embedding_model)
        return dataclasses.replace(prepared, stored_id=stored.id)

    def _prepare(
        self,
        session: Session,
        changeset: Changeset,
        vectors: Mapping[str, NDArray[np.float32]],
        model: str | None,
    ) -> PreparedCommit:
        project = self.store.projects.get(session.project_id)
        return prepare(
            changeset,
            vectors,
            model,
            store=self.store,
            project_id=project.id,
            embedder=self.providers.embedder(session),
            llm=self.providers.llm(project, session),
            config=self.config_of(session, project),
        )
