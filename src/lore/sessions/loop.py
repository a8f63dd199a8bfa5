"""The engine's background thread: it resumes what a previous process left, drains queued
operations of sessions that became free, calls callbacks of operations other processes ran, and
runs the auto-commit timers.

Timers are computed from stored times (the session's last event, its episode's start), so they
survive a restart: the open trajectory is extracted after ``trajectory_idle_s`` without appends,
and the session is closed after ``session_idle_s``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from lore.domain import Session
from lore.sessions.config import session_config

if TYPE_CHECKING:
    from lore.sessions.engine import SessionEngine

log = logging.getLogger("lore.sessions")

TICK_S = 0.1


class EngineLoop:
    def __init__(self, engine: SessionEngine) -> None:
        self.engine = engine
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lore-sessions", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        self._guarded(self.engine.recover)
        while not self._stop.is_set():
            self._guarded(self.tick)
            self._wake.wait(TICK_S)
            self._wake.clear()

    def _guarded(self, work: object) -> None:
        try:
            work()  # type: ignore[operator]
        except Exception:
            if not self._stop.is_set():
                log.exception("session engine loop")

    def tick(self) -> None:
        engine = self.engine
        engine.queue.deliver_finished()
        for session_id in engine.store.ops.sessions_pending():
            engine.queue.drain(session_id)
        now = time.time()
        for session in engine.store.episodes.managed_collecting():
            self._timers(session, now)

    def _timers(self, session: Session, now: float) -> None:
        engine = self.engine
        project = engine.store.projects.get(session.project_id)
        config = session_config(engine.settings, project, session)
        if not config.auto_commit:
            return
        episode = engine.store.episodes.open_for(session.id)
        started = episode.started_at if episode else session.created_at
        last = max(started, session.last_event_at or 0.0)
        if now - last >= config.session_idle_s:
            engine.close_idle(session.id)
        elif now - last >= config.trajectory_idle_s and self._may_flush(session.id, last):
            engine.flush_open_trajectory(session.id)

    def _may_flush(self, session_id: int, last_append: float) -> bool:
        """Not while a run is going, nor again after a run that failed since the last append
        (its steps wait for the next append, or the close)."""
        runs = self.engine.store.extractions.for_session(session_id)
        if not runs:
            return True
        latest = runs[-1]
        if latest.status == "running":
            return False
        return not (latest.status == "failed" and latest.created_at >= last_append)
