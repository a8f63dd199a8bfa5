"""Observer events of the session engine, and the hub observers subscribe to.

Kinds and their ``data``:
- ``session_transition``: ``from``, ``to`` (states), ``reason`` (what caused it)
- ``step_appended``: ``step_id``, ``seq``, ``trajectory``, ``boundary``, ``subgoal``,
  ``annotation_error`` (the model's error when the rules annotated the step instead)
- ``changeset_applied``: ``changeset_id``, ``node_ids`` (created), ``merged``, ``items``
- ``extraction_failed``: ``extraction_id``, ``job_id``, ``error``
- ``operation_finished``: ``op_id``, ``op``, ``result`` or ``reason``
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

log = logging.getLogger("lore.sessions")

EventKind = Literal[
    "session_transition",
    "step_appended",
    "changeset_applied",
    "extraction_failed",
    "operation_finished",
]


@dataclass(frozen=True, slots=True)
class SessionEvent:
    kind: EventKind
    session_id: int
    project_id: int
    data: Mapping[str, Any]
    at: float = field(default_factory=time.time)


Observer = Callable[[SessionEvent], None]


class Observers:
    """Calls every subscribed observer with each event; an observer that raises is logged and
    never disturbs the engine or the others."""

    def __init__(self) -> None:
        self._observers: list[Observer] = []
        self._lock = threading.Lock()

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Add an observer; returns the function that removes it."""
        with self._lock:
            self._observers.append(observer)

        def unsubscribe() -> None:
            with self._lock:
                if observer in self._observers:
                    self._observers.remove(observer)

        return unsubscribe

    def notify(self, event: SessionEvent) -> None:
        with self._lock:
            observers = list(self._observers)
        for observer in observers:
            try:
                observer(event)
            except Exception:
                log.exception("session observer %r failed on %s", observer, event.kind)
