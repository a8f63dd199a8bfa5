"""The session engine: the one state machine of sessions, episodes and their extraction.

Everything it knows is in the store, so any process can pick a session up: steps are stored
before they are annotated, extraction runs are recorded before their job starts, queued
operations wait in ``session_ops``, and every transition happens in one transaction with what
caused it. In-process state is only what cannot be stored: threads, futures and callbacks.

Locks: one re-entrant lock per session serialises its operations in this process; transactions
(and state checks inside them) keep processes from stepping on each other.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lore.capture.ingest import Capture
from lore.config import Settings
from lore.domain import EventIn, Project, Session, SessionState
from lore.domain.episodes import (
    Episode,
    EpisodeStatus,
    Extraction,
    Step,
    StoredChangeset,
)
from lore.domain.graph import Changeset
from lore.errors import ConflictError, SessionError, SessionTimeoutError
from lore.extraction.trajectory import StructuredLLM
from lore.sessions import states
from lore.sessions.annotate import CONTEXT_STEPS, annotate
from lore.sessions.appends import AppendLine
from lore.sessions.callbacks import Callback, call
from lore.sessions.commit import PreparedCommit, apply_commits, end_episode, prepare
from lore.sessions.config import SessionConfig, session_config
from lore.sessions.events import Observers, SessionEvent
from lore.sessions.extract import extract_run, run_extraction
from lore.sessions.loop import EngineLoop
from lore.sessions.ports import ExtractionOutput, ExtractionRunner
from lore.sessions.providers import SessionProviders
from lore.sessions.queue import OperationQueue
from lore.sessions.runner import LocalRunner
from lore.sessions.states import COLLECTING, EXTRACTING, FAILED, IDLE, READY, session_error
from lore.store.base import Store

log = logging.getLogger("lore.sessions")

STOP_WAIT_S = 5.0


class SessionEngine:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        capture: Capture,
        *,
        providers: SessionProviders | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.capture = capture
        self.providers = providers or SessionProviders(settings, store)
        self.observers = Observers()
        self.runner: ExtractionRunner = LocalRunner(self)
        self.queue = OperationQueue(self)
        self._locks: dict[int, threading.RLock] = {}
        self._lines: dict[int, AppendLine] = {}
        self._guard = threading.Lock()
        self._stopping = threading.Event()
        self._loop = EngineLoop(self)

    # Life

    def start(self) -> SessionEngine:
        """Resume what a previous process left (extraction runs, unannotated steps, queued
        operations) and start the timers."""
        self._loop.start()
        return self

    def use_runner(self, runner: ExtractionRunner) -> None:
        """Run extractions with ``runner`` (the pipeline's jobs) instead of local threads."""
        previous, self.runner = self.runner, runner
        previous.close()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wake(self) -> None:
        """Have the background loop look at queued operations and timers now."""
        self._loop.wake()

    def shutdown(self) -> None:
        self._stopping.set()
        self._loop.stop(STOP_WAIT_S)
        with self._guard:
            lines = list(self._lines.values())
        for line in lines:
            line.stop(STOP_WAIT_S)
        self.runner.close()
        self.providers.close()

    def recover(self) -> None:
        """Called once by the loop when it starts."""
        for run in self.store.extractions.running():
            if run.runner == self.runner.name:
                self.runner.resume(run)
        for session_id in self.store.steps.sessions_unannotated():
            if self.store.episodes.is_managed(session_id):
                self._line(session_id).kick()

    # Sessions and steps

    def start_session(
        self, project: Project, goal: str, *, source: str, overrides: dict[str, Any]
    ) -> Session:
        session = self.store.episodes.create_managed_session(project.id, source, goal, overrides)
        self._transition(session, IDLE, COLLECTING, "start_session")
        return session

    def state(self, session_id: int) -> SessionState:
        return self.store.sessions.get(session_id).state

    def append(
        self, session_id: int, observation: str, action: str, timeout: float | None = None
    ) -> Step:
        """Store a step and wait (``append_timeout_s``) until it is annotated."""
        step = self._store_step(session_id, observation, action)
        line = self._line(session_id)
        future = line.watch(step.id)
        line.kick()
        session = self.store.sessions.get(session_id)
        wait = timeout if timeout is not None else self.config_of(session).append_timeout_s
        try:
            return future.result(wait)
        except FutureTimeout:
            raise SessionTimeoutError(
                "append_timeout",
                f"step {step.id} of session {session_id} was not annotated within {wait:g} s;"
                " it stays stored and will be",
            ) from None

    def append_async(
        self, session_id: int, observation: str, action: str, callback: Callback | None
    ) -> int:
        """Store a step and return its id; ``callback`` gets the annotated step or the error."""
        step = self._store_step(session_id, observation, action)
        line = self._line(session_id)
        future = line.watch(step.id)
        if callback is not None:
            future.add_done_callback(lambda done: call(callback, done.exception() or done.result()))
        line.kick()
        return step.id

    def _store_step(self, session_id: int, observation: str, action: str) -> Step:
        with self.session_lock(session_id), self.store.transaction():
            session = self.store.sessions.get(session_id)
            states.check("append", session.state, session_id)
            episode = self.store.episodes.open_for(session_id)
            if episode is None:
                raise session_error("not_collecting", session_id=session_id)
            event = self.capture.prepare(
                EventIn(
                    source=session.source,
                    type="step",
                    payload={"observation": observation, "action": action},
                    session_id=session_id,
                    occurred_at=time.time(),
                )
            )
            window = self.settings.capture.session_window_hours * 3600
            stored = self.store.events.append(session.project_id, [event], window)
            clean = json.loads(event.payload_json)
            return self.store.steps.add(
                session_id,
                episode.id,
                clean["observation"],
                clean["action"],
                event_id=stored.event_ids[0],
            )

    def _annotate(self, step: Step) -> Step:
        """Annotate a stored step (the append line calls this, in order). A step that cannot
        be annotated is dropped, and its caller gets the error."""
        try:
            found = annotate(self.store, self.settings, self.providers, step)
        except BaseException:
            if not self.stopping:
                self.store.steps.delete(step.id)
            raise
        done = found.step
        self.notify(
            "step_appended",
            found.session,
            step_id=done.id,
            seq=done.seq,
            trajectory=done.trajectory,
            boundary=done.boundary,
            subgoal=done.subgoal,
        )
        if done.boundary and found.auto_commit:
            self._flush(done.session_id, upto_trajectory=(done.trajectory or 1) - 1)
        if self.store.steps.count_unannotated(done.session_id) == 0:
            self.wake()
        return done

    # Synchronous operations

    def close(self, session_id: int, *, op_id: int | None = None, reason: str = "close") -> str:
        with self.session_lock(session_id):
            session = self.store.sessions.get(session_id)
            states.check("close", session.state, session_id)
            busy = self.busy(session)
            if busy is not None:
                raise session_error(busy, session_id=session_id)
            return self._close(session, op_id=op_id, reason=reason)

    def _close(self, session: Session, *, op_id: int | None, reason: str) -> str:
        episode = self.store.episodes.open_for(session.id)
        if self.config_of(session).auto_commit and not self._unextracted(episode):
            with self.store.transaction():
                self._expect(session.id, COLLECTING)
                if episode is not None:
                    self.store.episodes.close(episode.id)
                    self.store.episodes.set_status(episode.id, EpisodeStatus.COMMITTED)
                self.store.sessions.set_state(session.id, IDLE, expected=[COLLECTING])
                self._finish_op(op_id, "closed")
            self._transition(session, COLLECTING, IDLE, reason)
            return "closed"
        with self.store.transaction():
            self._expect(session.id, COLLECTING)
            if episode is not None:
                self.store.episodes.close(episode.id)
            run = self._begin_run(session.id, episode, "episode")
            self.store.sessions.set_state(session.id, EXTRACTING, expected=[COLLECTING])
            self._finish_op(op_id, "closed")
        self._transition(session, COLLECTING, EXTRACTING, reason)
        self._launch(run)
        return "closed"

    def commit(self, session_id: int, *, op_id: int | None = None) -> str:
        with self.session_lock(session_id):
            session = self.store.sessions.get(session_id)
            states.check("commit", session.state, session_id)
            if session.state is FAILED:
                return self._retry(session, op_id)
            pending = self.store.changesets.pending(session_id)
            prepared = [self._prepare_stored(session, stored) for stored in pending]
            with self.store.transaction():
                self._expect(session_id, READY)
                events = apply_commits(self.store, session, prepared)
                end_episode(self.store, session.id, EpisodeStatus.COMMITTED)
                self.store.sessions.set_state(session_id, IDLE, expected=[READY])
                self._finish_op(op_id, "committed")
            self._send(events)
            self._transition(session, READY, IDLE, "commit")
            return "committed"

    def _retry(self, session: Session, op_id: int | None) -> str:
        episode = self.store.episodes.latest(session.id)
        with self.store.transaction():
            self._expect(session.id, FAILED)
            run = self._begin_run(session.id, episode, "episode")
            self.store.sessions.set_state(session.id, EXTRACTING, expected=[FAILED])
            self._finish_op(op_id, "retried")
        self._transition(session, FAILED, EXTRACTING, "retry")
        self._launch(run)
        return "retried"

    def discard(self, session_id: int, *, op_id: int | None = None) -> str:
        with self.session_lock(session_id):
            session = self.store.sessions.get(session_id)
            states.check("discard", session.state, session_id)
            with self.store.transaction():
                self._expect(session_id, session.state)
                self.store.changesets.discard_pending(session_id)
                end_episode(self.store, session.id, EpisodeStatus.DISCARDED)
                self.store.sessions.set_state(session_id, IDLE, expected=[session.state])
                self._finish_op(op_id, "discarded")
            self._transition(session, session.state, IDLE, "discard")
            return "discarded"

    def start_episode(self, session_id: int, goal: str, *, op_id: int | None = None) -> str:
        with self.session_lock(session_id):
            session = self.store.sessions.get(session_id)
            states.check("start_episode", session.state, session_id)
            with self.store.transaction():
                self._expect(session_id, IDLE)
                self.store.episodes.start(session_id, goal)
                self.store.sessions.set_state(session_id, COLLECTING, expected=[IDLE])
                self._finish_op(op_id, "started")
            self._transition(session, IDLE, COLLECTING, "start_episode")
            return "started"

    # Operations by name (the queue runs them)

    def run_operation(
        self, session_id: int, op: str, args: Mapping[str, Any], op_id: int | None
    ) -> str:
        if op == "commit":
            return self.commit(session_id, op_id=op_id)
        if op == "discard":
            return self.discard(session_id, op_id=op_id)
        if op == "close":
            return self.close(session_id, op_id=op_id)
        return self.start_episode(session_id, str(args.get("goal", "")), op_id=op_id)

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
        """Record a run and give it its steps (inside the caller's transaction)."""
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
        """The trajectory idle timer fired: extract what the open trajectory holds so far."""
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

    # Helpers

    def context(self, session_id: int) -> tuple[str, list[Step]]:
        """The goal of the session's current episode and its last steps (for recall)."""
        session = self.store.sessions.get(session_id)
        episode = self.store.episodes.latest(session_id)
        goal = (episode.goal if episode else "") or session.goal
        return goal, self.store.steps.recent(session_id, CONTEXT_STEPS)

    def busy(self, session: Session) -> str | None:
        """Why a collecting session cannot take a sync close now (None: it can)."""
        if session.state is not COLLECTING:
            return None
        if self.store.steps.count_unannotated(session.id):
            return "append_in_progress"
        if self.store.extractions.running(session.id):
            return "extraction_in_progress"
        return None

    def _unextracted(self, episode: Episode | None) -> bool:
        return episode is not None and bool(self.store.steps.unclaimed(episode.id))

    def _expect(self, session_id: int, state: SessionState) -> None:
        """Inside a transaction: the session is still where the caller saw it."""
        current = self.store.sessions.get(session_id).state
        if current is not state:
            raise ConflictError(f"session {session_id} moved to {current.value} meanwhile")

    def _finish_op(self, op_id: int | None, result: str) -> None:
        if op_id is not None:
            self.store.ops.finish(op_id, result)

    def config_of(self, session: Session, project: Project | None = None) -> SessionConfig:
        return session_config(
            self.settings, project or self.store.projects.get(session.project_id), session
        )

    def session_lock(self, session_id: int) -> threading.RLock:
        with self._guard:
            return self._locks.setdefault(session_id, threading.RLock())

    def _line(self, session_id: int) -> AppendLine:
        with self._guard:
            if session_id not in self._lines:
                self._lines[session_id] = AppendLine(
                    session_id, self.store.steps.next_unannotated, self._annotate
                )
            return self._lines[session_id]

    def _transition(
        self, session: Session, before: SessionState, after: SessionState, reason: str
    ) -> None:
        self.notify(
            "session_transition",
            session,
            **{"from": before.value, "to": after.value, "reason": reason},
        )

    def notify(self, kind: Any, session: Session, **data: Any) -> None:
        self.observers.notify(SessionEvent(kind, session.id, session.project_id, data))

    def _send(self, events: list[SessionEvent]) -> None:
        for event in events:
            self.observers.notify(event)
