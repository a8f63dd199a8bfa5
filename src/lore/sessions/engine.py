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
    OP_KINDS,
    Episode,
    EpisodeStatus,
    Extraction,
    PendingOp,
    Step,
    StoredChangeset,
)
from lore.domain.graph import Changeset
from lore.errors import ConflictError, SessionError, SessionTimeoutError
from lore.extraction import trajectory as extraction
from lore.sessions import states
from lore.sessions.appends import AppendLine
from lore.sessions.callbacks import Callback, Callbacks, OpResult, Outcome, call
from lore.sessions.commit import PreparedCommit, prepare
from lore.sessions.config import SessionConfig, session_config
from lore.sessions.events import Observers, SessionEvent
from lore.sessions.loop import EngineLoop
from lore.sessions.ports import ExtractionOutput, ExtractionRunner
from lore.sessions.providers import SessionProviders
from lore.sessions.runner import LocalRunner
from lore.sessions.states import COLLECTING, EXTRACTING, FAILED, IDLE, READY, session_error
from lore.store.base import Store

log = logging.getLogger("lore.sessions")

CONTEXT_STEPS = 3
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
        self.callbacks = Callbacks()
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
        wait = timeout if timeout is not None else self._config(session).append_timeout_s
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
        with self._lock(session_id), self.store.transaction():
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
        try:
            return self._annotated(step)
        except BaseException:
            if not self.stopping:
                self.store.steps.delete(step.id)
            raise

    def _annotated(self, step: Step) -> Step:
        session = self.store.sessions.get(step.session_id)
        project = self.store.projects.get(session.project_id)
        config = self._config(session, project)
        goal = self.store.episodes.get(step.episode_id).goal or session.goal
        previous = self.store.steps.previous(step)
        history = [
            s
            for s in self.store.steps.recent(session.id, CONTEXT_STEPS)
            if s.episode_id == step.episode_id and s.seq < step.seq
        ]
        llm = self.providers.llm(project, session)
        found = extraction.annotate_step(llm, goal, history, step.observation, step.action)
        vector = self.providers.embedder(session).embed([found.subgoal])[0]
        trajectory, boundary = extraction.next_trajectory(
            self._previous_subgoal(previous), vector, config.boundary_threshold
        )
        with self.store.transaction():
            if previous is not None and found.previous_reward is not None:
                self.store.steps.set_reward(previous.id, found.previous_reward)
            done = self.store.steps.annotate(
                step.id,
                state_summary=found.state_summary,
                subgoal=found.subgoal,
                subgoal_vec=vector,
                trajectory=trajectory,
                boundary=boundary,
            )
        self._notify(
            "step_appended",
            session,
            step_id=done.id,
            seq=done.seq,
            trajectory=trajectory,
            boundary=boundary,
            subgoal=found.subgoal,
        )
        if boundary and config.auto_commit:
            self._flush(session.id, upto_trajectory=trajectory - 1)
        if self.store.steps.count_unannotated(session.id) == 0:
            self._loop.wake()
        return done

    def _previous_subgoal(
        self, previous: Step | None
    ) -> tuple[int, NDArray[np.float32] | None] | None:
        if previous is None or previous.trajectory is None:
            return None
        return previous.trajectory, self.store.steps.subgoal_vector(previous.id)

    # Synchronous operations

    def close(self, session_id: int, *, op_id: int | None = None, reason: str = "close") -> str:
        with self._lock(session_id):
            session = self.store.sessions.get(session_id)
            states.check("close", session.state, session_id)
            busy = self._busy(session)
            if busy is not None:
                raise session_error(busy, session_id=session_id)
            return self._close(session, op_id=op_id, reason=reason)

    def _close(self, session: Session, *, op_id: int | None, reason: str) -> str:
        episode = self.store.episodes.open_for(session.id)
        if self._config(session).auto_commit and not self._unextracted(episode):
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
        with self._lock(session_id):
            session = self.store.sessions.get(session_id)
            states.check("commit", session.state, session_id)
            if session.state is FAILED:
                return self._retry(session, op_id)
            pending = self.store.changesets.pending(session_id)
            prepared = [self._prepare_stored(session, stored) for stored in pending]
            with self.store.transaction():
                self._expect(session_id, READY)
                events = self._apply(session, prepared)
                self._end_episode(session, EpisodeStatus.COMMITTED)
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
        with self._lock(session_id):
            session = self.store.sessions.get(session_id)
            states.check("discard", session.state, session_id)
            with self.store.transaction():
                self._expect(session_id, session.state)
                self.store.changesets.discard_pending(session_id)
                self._end_episode(session, EpisodeStatus.DISCARDED)
                self.store.sessions.set_state(session_id, IDLE, expected=[session.state])
                self._finish_op(op_id, "discarded")
            self._transition(session, session.state, IDLE, "discard")
            return "discarded"

    def start_episode(self, session_id: int, goal: str, *, op_id: int | None = None) -> str:
        with self._lock(session_id):
            session = self.store.sessions.get(session_id)
            states.check("start_episode", session.state, session_id)
            with self.store.transaction():
                self._expect(session_id, IDLE)
                self.store.episodes.start(session_id, goal)
                self.store.sessions.set_state(session_id, COLLECTING, expected=[IDLE])
                self._finish_op(op_id, "started")
            self._transition(session, IDLE, COLLECTING, "start_episode")
            return "started"

    def close_and_commit(
        self, session_id: int, *, max_retries: int, max_polls: int, poll_interval: float
    ) -> SessionState:
        """Close, wait for extraction, commit; retry a failed extraction ``max_retries`` times."""
        self.close(session_id)
        retries = max_retries
        while True:
            state = self._settle(session_id, max_polls, poll_interval)
            if state is READY:
                self.commit(session_id)
                return IDLE
            if state is IDLE:
                return IDLE
            if state is FAILED and retries > 0:
                retries -= 1
                self.commit(session_id)
                continue
            if state is FAILED:
                error = self.store.sessions.get(session_id).error
                raise session_error(
                    "extraction_failed",
                    f"extraction failed after {max_retries} retries: {error}",
                    session_id,
                )
            raise SessionTimeoutError(
                "extraction_timeout",
                f"session {session_id}: extraction did not finish within {max_polls} polls of"
                f" {poll_interval:g} s",
            )

    def _settle(self, session_id: int, polls: int, interval: float) -> SessionState | None:
        for _ in range(max(polls, 1)):
            state = self.state(session_id)
            if state is not EXTRACTING:
                return state
            time.sleep(interval)
        return None

    # Asynchronous operations

    def submit(
        self, session_id: int, op: str, args: dict[str, Any], callback: Callback | None
    ) -> int:
        """Run ``op`` now when the session is free, else queue it (validated against the state
        the queue leads to). Returns the operation's id; raises when it is rejected."""
        if op not in OP_KINDS:
            raise session_error("invalid_operation", f"unknown operation {op!r}", session_id)
        with self._lock(session_id):
            session = self.store.sessions.get(session_id)
            queued = self.store.ops.pending(session_id)
            if not queued and self._busy(session) is None and session.state is not EXTRACTING:
                result = self._run(session_id, op, args, None)
                record = self.store.ops.add(session_id, op, args, result=result)
                ran = True
            else:
                config = self._config(session)
                if len(queued) >= config.max_pending_ops:
                    raise session_error(
                        "pending_queue_full",
                        f"{len(queued)} operations are queued (at most {config.max_pending_ops})",
                        session_id,
                    )
                states.check_queued(session.state, config.auto_commit, [q.op for q in queued], op)
                record = self.store.ops.add(session_id, op, args)
                ran = False
                if callback is not None:
                    self.callbacks.add(record.id, callback)
        if ran:
            call(callback, OpResult(record.result or "", op, record.id))
        else:
            self._loop.wake()
        return record.id

    def _run(self, session_id: int, op: str, args: Mapping[str, Any], op_id: int | None) -> str:
        if op == "commit":
            return self.commit(session_id, op_id=op_id)
        if op == "discard":
            return self.discard(session_id, op_id=op_id)
        if op == "close":
            return self.close(session_id, op_id=op_id)
        return self.start_episode(session_id, str(args.get("goal", "")), op_id=op_id)

    def drain(self, session_id: int) -> None:
        """Run the session's queued operations while it is free; stop at the first failure,
        failing the rest with ``preceding_op_failed``."""
        while not self.stopping:
            with self._lock(session_id):
                session = self.store.sessions.get(session_id)
                queued = self.store.ops.pending(session_id)
                if not queued or self._busy(session) or session.state is EXTRACTING:
                    return
                op = queued[0]
                outcomes, failed = self._run_queued(session_id, op)
            self.callbacks.deliver(outcomes)
            for op_id, outcome in outcomes:
                self._notify(
                    "operation_finished", session, op_id=op_id, op=op.op, result=str(outcome)
                )
            if failed:
                return

    def _run_queued(self, session_id: int, op: PendingOp) -> tuple[list[tuple[int, Outcome]], bool]:
        try:
            result = self._run(session_id, op.op, op.args, op.id)
        except ConflictError:
            return [], False  # another process ran it; look again
        except Exception as exc:
            reason = exc.reason if isinstance(exc, SessionError) else type(exc).__name__
            self.store.ops.fail(op.id, reason, str(exc))
            later = self.store.ops.fail_pending(
                session_id, "preceding_op_failed", f"operation {op.id} ({op.op}) failed: {exc}"
            )
            failures: list[tuple[int, Outcome]] = [(op.id, exc)]
            failures += [
                (
                    i,
                    session_error(
                        "preceding_op_failed",
                        f"operation {op.id} ({op.op}) failed first",
                        session_id,
                    ),
                )
                for i in later
            ]
            return failures, True
        return [(op.id, OpResult(result, op.op, op.id))], False

    def deliver_finished(self) -> None:
        """Call the callbacks of operations another process finished."""
        waiting = self.callbacks.waiting()
        if not waiting:
            return
        outcomes: list[tuple[int, Outcome]] = []
        for op in self.store.ops.get_many(waiting):
            if op.status == "done":
                outcomes.append((op.id, OpResult(op.result or "", op.op, op.id)))
            elif op.status == "failed":
                outcomes.append(
                    (op.id, session_error(op.reason or "error", op.error, op.session_id))
                )
        self.callbacks.deliver(outcomes)

    # Extraction runs and the hooks their jobs call

    def run_extraction(self, extraction_id: int) -> ExtractionOutput:
        """The work of one run: extract the steps it took and embed the drafts."""
        run = self.store.extractions.get(extraction_id)
        session = self.store.sessions.get(run.session_id)
        project = self.store.projects.get(session.project_id)
        llm = self.providers.llm(project, session, job_id=run.job_id)
        changeset = self.extract(run, llm)
        if not changeset.nodes:
            return ExtractionOutput(changeset)
        embedder = self.providers.embedder(session)
        refs, texts = extraction.embedding_texts(changeset)
        vectors = dict(zip(refs, embedder.embed(texts), strict=True))
        return ExtractionOutput(changeset, vectors, embedder.model)

    def extract(self, run: Extraction, llm: extraction.StructuredLLM | None) -> Changeset:
        """The changeset of a run's steps (the pipeline's Enrich stage calls this with its own
        LLM). A closing run first scores the reward of the episode's last step."""
        session = self.store.sessions.get(run.session_id)
        project = self.store.projects.get(session.project_id)
        episode = self.store.episodes.get(run.episode_id) if run.episode_id else None
        goal = (episode.goal if episode else "") or session.goal
        steps = self.store.steps.claimed(run.id)
        if run.scope == "episode" and steps and steps[-1].reward is None:
            history = steps[-1 - CONTEXT_STEPS : -1]
            reward = extraction.final_reward(llm, goal, history, steps[-1])
            self.store.steps.set_reward(steps[-1].id, reward)
            steps = self.store.steps.claimed(run.id)
        trajectories = extraction.group_trajectories([extraction.StepView.of(s) for s in steps])
        knowledge = extraction.extract(llm, goal, trajectories)
        config = self._config(session, project)
        return extraction.build_changeset(
            session.id,
            run.episode_id,
            goal,
            trajectories,
            knowledge,
            job_id=run.job_id,
            auto_approve=config.auto_approve_confidence,
        )

    def extraction_started(self, session_id: int, job_id: int) -> None:
        """A job of the session started (again): bind it to the run it carries out, or, for a
        job the engine did not start (Generate Memory, auto-learn), begin that run."""
        with self._lock(session_id):
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
        with self._lock(session_id):
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
        self.drain(session_id)

    def _run_of(self, session_id: int, job_id: int) -> Extraction | None:
        found = self.store.extractions.for_job(session_id, job_id)
        if found is not None:
            return found
        running = self.store.extractions.running(session_id)
        return running[0] if len(running) == 1 and running[0].job_id in (None, job_id) else None

    def _succeeded(self, run: Extraction, output: ExtractionOutput) -> None:
        session = self.store.sessions.get(run.session_id)
        config = self._config(session)
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
            events = self._apply(session, [dataclasses.replace(prepared, stored_id=stored)])
            if closing:
                self._end_episode(session, EpisodeStatus.COMMITTED)
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
        self._notify(
            "extraction_failed", session, extraction_id=run.id, job_id=run.job_id, error=error
        )
        if closing:
            self._transition(session, EXTRACTING, FAILED, "extraction_failed")
        self.callbacks.deliver(
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
        with self._lock(session_id):
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
        """The session idle timer fired: close the session as a caller would."""
        try:
            self.close(session_id, reason="idle_timeout")
        except SessionError as exc:
            log.debug("session %s: idle close skipped (%s)", session_id, exc.reason)

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
            config=self._config(session, project),
        )

    def _apply(self, session: Session, prepared: list[PreparedCommit]) -> list[SessionEvent]:
        """Apply changesets to the graph inside the caller's transaction; returns the events to
        send once it has committed."""
        events, items = [], 0
        for commit in prepared:
            applied = self.store.graph.apply(
                session.project_id,
                commit.changeset,
                vectors=commit.vectors,
                embedding_model=commit.embedding_model,
            )
            assert commit.stored_id is not None
            self.store.changesets.mark(commit.stored_id, "applied")
            count = len(commit.changeset.items)
            items += count
            data = {
                "changeset_id": commit.stored_id,
                "node_ids": applied.created,
                "merged": applied.merged,
                "items": count,
            }
            events.append(SessionEvent("changeset_applied", session.id, session.project_id, data))
        current = self.store.sessions.get(session.id)
        self.store.sessions.record_items(session.id, current.items_extracted + items)
        return events

    def _end_episode(self, session: Session, status: EpisodeStatus) -> None:
        episode = self.store.episodes.latest(session.id)
        if episode is not None and episode.status in (EpisodeStatus.OPEN, EpisodeStatus.CLOSED):
            self.store.episodes.close(episode.id)
            self.store.episodes.set_status(episode.id, status)

    # Helpers

    def context(self, session_id: int) -> tuple[str, list[Step]]:
        """The goal of the session's current episode and its last steps (for recall)."""
        session = self.store.sessions.get(session_id)
        episode = self.store.episodes.latest(session_id)
        goal = (episode.goal if episode else "") or session.goal
        return goal, self.store.steps.recent(session_id, CONTEXT_STEPS)

    def observe(self, observer: Any) -> Any:
        return self.observers.subscribe(observer)

    def _busy(self, session: Session) -> str | None:
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

    def _config(self, session: Session, project: Project | None = None) -> SessionConfig:
        return session_config(
            self.settings, project or self.store.projects.get(session.project_id), session
        )

    def _lock(self, session_id: int) -> threading.RLock:
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
        self._notify(
            "session_transition",
            session,
            **{"from": before.value, "to": after.value, "reason": reason},
        )

    def _notify(self, kind: Any, session: Session, **data: Any) -> None:
        self.observers.notify(SessionEvent(kind, session.id, session.project_id, data))

    def _send(self, events: list[SessionEvent]) -> None:
        for event in events:
            self.observers.notify(event)
