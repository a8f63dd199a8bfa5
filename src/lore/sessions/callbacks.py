"""Callbacks of async operations. A callback receives one value: the operation's result (an
``OpResult``, a ``str`` such as ``"committed"``) or the ``SessionError`` that stopped it.

Outcomes are recorded in the store first; callbacks live only in the process that registered
them, and fire when that process sees the outcome (even when another process ran the operation).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("lore.sessions")

Callback = Callable[[Any], object]


class OpResult(str):
    """What a successful operation did (``committed``, ``retried``, ``discarded``, ``started``,
    ``closed``), as a string that also names the operation and its id."""

    op: str
    op_id: int | None
    ok = True
    error = None

    def __new__(cls, result: str, op: str, op_id: int | None = None) -> OpResult:
        made = super().__new__(cls, result)
        made.op = op
        made.op_id = op_id
        return made


Outcome = OpResult | BaseException


def call(callback: Callback | None, outcome: object) -> None:
    if callback is None:
        return
    try:
        callback(outcome)
    except Exception:
        log.exception("a session operation callback raised")


class Callbacks:
    """The callbacks of queued operations, by operation id, until they are called."""

    def __init__(self) -> None:
        self._waiting: dict[int, Callback] = {}
        self._lock = threading.Lock()

    def add(self, op_id: int, callback: Callback) -> None:
        with self._lock:
            self._waiting[op_id] = callback

    def waiting(self) -> list[int]:
        with self._lock:
            return list(self._waiting)

    def deliver(self, outcomes: Iterable[tuple[int, Outcome]]) -> None:
        for op_id, outcome in outcomes:
            with self._lock:
                callback = self._waiting.pop(op_id, None)
            call(callback, outcome)
