"""The per-session line of appends: steps are stored at once, then annotated one at a time in
the order they were appended, by one thread per session that ends when the line is empty.

An ``append`` waits on the future of its step; ``append_async`` passes a callback instead. A
step that was stored but not annotated when the process stopped is annotated after the restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future

from lore.domain.episodes import Step

log = logging.getLogger("lore.sessions")

Annotate = Callable[[Step], Step]
NextStep = Callable[[int], Step | None]
KEPT_OUTCOMES = 1000


class AppendLine:
    def __init__(self, session_id: int, next_step: NextStep, annotate: Annotate) -> None:
        self.session_id = session_id
        self._next_step = next_step
        self._annotate = annotate
        self._futures: dict[int, Future[Step]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._dirty = False
        self._stopped = False

    def watch(self, step_id: int) -> Future[Step]:
        """The future of a stored step: its annotated form, or the error that lost it."""
        with self._lock:
            return self._futures.setdefault(step_id, Future())

    def kick(self) -> None:
        """Make sure a thread works through the session's unannotated steps."""
        with self._lock:
            self._dirty = True
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(
                    target=self._work, name=f"lore-append-{self.session_id}", daemon=True
                )
                self._thread.start()

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._thread is not None

    def stop(self, timeout: float) -> None:
        with self._lock:
            self._stopped = True
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _work(self) -> None:
        while True:
            with self._lock:
                self._dirty = False
            try:
                step = None if self._stopped else self._next_step(self.session_id)
            except Exception:  # the store failed (or closed): the next append starts again
                if not self._stopped:
                    log.exception("append line of session %s stopped", self.session_id)
                with self._lock:
                    self._thread = None
                return
            if step is None:
                with self._lock:
                    if self._dirty and not self._stopped:
                        continue
                    self._thread = None
                    return
            else:
                self._one(step)

    def _one(self, step: Step) -> None:
        future = self.watch(step.id)
        try:
            done = self._annotate(step)
        except BaseException as exc:  # the step is dropped; its caller gets the error
            log.warning("append of step %s (session %s) failed: %s", step.id, self.session_id, exc)
            future.set_exception(exc)
            with self._lock:  # the caller holds its future; the next step may reuse the id
                self._futures.pop(step.id, None)
        else:
            future.set_result(done)
        with self._lock:  # keep recent outcomes for callers that ask after the fact
            while len(self._futures) > KEPT_OUTCOMES:
                oldest = next(iter(self._futures))
                if not self._futures[oldest].done():
                    break
                del self._futures[oldest]
