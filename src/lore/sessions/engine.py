"""The session engine: the one state machine of sessions, episodes and their extraction.

Everything it knows is in the store, so any process can pick a session up: steps are stored
before they are annotated, extraction runs are recorded before their job starts, queued
operations wait in ``session_ops``, and every transition happens in one transaction with what
caused it. In-process state is only what cannot be stored: threads, futures and callbacks.

Locks: one re-entrant lock per session serialises its operations in this process; transactions
(and state checks inside them) keep processes from stepping on each other.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from lore.capture.ingest import Capture
from lore.capture.redact import redact_text
from lore.config import Settings
from lore.domain import EventIn, Project, Session, SessionState
from lore.domain.episodes import (
    Episode,
    EpisodeStatus,
    Step,
)
from lore.errors import ConflictError, SessionError, SessionTimeoutError, ValidationError
from lore.sessions import states
from lore.sessions.annotate import CONTEXT_STEPS, annotate
from lore.sessions.appends import AppendLine
from lore.sessions.callbacks import Callback, call
from lore.sessions.commit import apply_commits, end_episode
from lore.sessions.config import SessionConfig, session_config
from lore.sessions.events import Observers, SessionEvent
from lore.sessions.loop import EngineLoop
from lore.sessions.ports import ExtractionRunner
from lore.sessions.providers import SessionProviders
from lore.sessions.queue import OperationQueue
from lore.sessions.runner import LocalRunner
from lore.sessions.runs import ExtractionRuns
from lore.sessions.states import COLLECTING, EXTRACTING, FAILED, IDLE, READY, session_error
from lore.store.base import Store

log = logging.getLogger("lore.sessions")

STOP_WAIT_S = 5.0
# A goal says what a session is for: a sentence or a paragraph, not a document.
GOAL_MAX_CHARS = 10_000


class SessionEngine(ExtractionRuns):
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
        operations) and start the timers. A program that ends without closing lore (an
        exception, a forgotten ``close``) stops the engine at exit: a thread still inside the
        model when the interpreter tears down aborts the process."""
        atexit.register(self.shutdown)
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
        atexit.unregister(self.shutdown)
        if self._stopping.is_set():
            return
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
        session = self.store.episodes.create_managed_session(
            project.id, source, stored_goal(goal), overrides
        )
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
            annotation_error=done.annotation_error,
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
                self.store.episodes.start(session_id, stored_goal(goal))
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

    # Helpers

    def context(self, session_id: int) -> tuple[str, list[Step]]:
        """The goal of the session's current episode and its last steps (for recall)."""
        session = self.store.sessions.get(session_id)
        episode = self.store.episodes.latest(session_id)
        goal = (episode.goal if episode else "") or session.goal
        return goal, self.store.steps.recent(session_id, CONTEXT_STEPS)

    def refusal(self, session_id: int) -> str | None:
        """Why a sync close of the session would be refused now, by its state or by work
        under way (None: it would be accepted)."""
        session = self.store.sessions.get(session_id)
        try:
            states.check("close", session.state, session_id)
        except SessionError as refused:
            return refused.reason
        return self.busy(session)

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


def stored_goal(goal: str) -> str:
    """A goal as it is stored: redacted like every captured text, and of a sensible length."""
    if len(goal) > GOAL_MAX_CHARS:
        raise ValidationError(f"a goal is at most {GOAL_MAX_CHARS} characters", "goal")
    return redact_text(goal)
