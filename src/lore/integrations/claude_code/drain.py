"""Store spooled hook records through capture, one capture session per Claude Code session, and
close it when Claude Code stops. Runs in lore's local service (``lore.service``), or in the hook
itself with ``LORE_HOOK_SYNC=1``, so the agent never waits for the store.

Drains are serialised by a lock file: a claimed file found while holding the lock was left by a
drain that died, and is drained again (capture's idempotency keys make that safe).
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lore.config import load_settings
from lore.core import Lore
from lore.domain import Project, Session, SessionState
from lore.errors import LoreError
from lore.integrations.claude_code import context, spool, steps

log = logging.getLogger(__name__)
BATCH = 200
GOAL_CHARS = 200


def run(home: Path, cwd: Path) -> set[str]:
    """Drain every pending spool file with the settings of ``cwd``; refresh the cached briefs
    of the projects that got events. Returns those projects' names."""
    with Lore.open(settings=load_settings(cwd=cwd)) as lore:
        touched = drain(lore, home)
        for name in sorted(touched):
            context.refresh_brief(lore, name, home)
    return touched


def drain(lore: Lore, home: Path) -> set[str]:
    writer = _Writer(lore)
    with _exclusive(spool.spool_dir(home) / ".drain.lock"):
        for path in spool.pending(home):
            claimed = path if spool.CLAIMED in path.name else spool.claim(path)
            if claimed is None:
                continue
            for record in spool.records(claimed):
                writer.add(record)
            writer.flush_all()
            claimed.unlink()
    return writer.touched


def capture_session(lore: Lore, project: Project, key: str, goal: str) -> Session:
    """The collecting capture session stored under ``key`` in the project's state, or a new one
    (the stored one was closed) recorded there."""
    stored = lore.store.projects.get_state(project.id, key)
    if stored is not None:
        session = lore.store.sessions.get(int(stored))
        if session.state is SessionState.COLLECTING:
            return session
    session = lore.store.sessions.create(project.id, steps.SOURCE, goal=goal[:GOAL_CHARS])
    lore.store.projects.set_state(project.id, key, str(session.id))
    return session


def store_events(
    lore: Lore, project: Project, session_id: int, events: Sequence[dict[str, Any]]
) -> int:
    """Capture events into one session in batches; an event capture rejects is logged and
    skipped, not allowed to drop its batch. Returns how many were new."""
    stored = 0
    for start in range(0, len(events), BATCH):
        batch = [event | {"session_id": session_id} for event in events[start : start + BATCH]]
        try:
            result = lore.capture_events(batch, project=project)
            stored += len(batch) - result.duplicates
        except LoreError:
            stored += _one_by_one(lore, project, batch)
    return stored


def _one_by_one(lore: Lore, project: Project, batch: list[dict[str, Any]]) -> int:
    stored = 0
    for event in batch:
        try:
            stored += 1 - lore.capture_events([event], project=project).duplicates
        except LoreError as exc:
            log.warning("skipped a %s event: %s", event.get("type"), exc)
    return stored


def session_key(claude_session: str) -> str:
    return f"{steps.SOURCE}:session:{claude_session}"


class _Writer:
    """Buffers events per (project, Claude session) in spool order; a close marker flushes and
    closes that session."""

    def __init__(self, lore: Lore) -> None:
        self.lore = lore
        self.buffers: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.touched: set[str] = set()

    def add(self, record: dict[str, Any]) -> None:
        key = (str(record.get("project")), str(record.get("session")))
        if isinstance(record.get("event"), dict):
            self.buffers.setdefault(key, []).append(record["event"])
        if record.get("close"):
            self.flush(key)
            self.close(key)

    def flush_all(self) -> None:
        for key in list(self.buffers):
            self.flush(key)

    def flush(self, key: tuple[str, str]) -> None:
        events = self.buffers.pop(key, [])
        project = self._project(key[0])
        if not events or project is None:
            return
        session = capture_session(self.lore, project, session_key(key[1]), _goal(events))
        store_events(self.lore, project, session.id, events)
        self.touched.add(project.name)

    def close(self, key: tuple[str, str]) -> None:
        project = self._project(key[0])
        stored = project and self.lore.store.projects.get_state(project.id, session_key(key[1]))
        if not stored:
            return
        session = self.lore.session(int(stored))
        if session.state is SessionState.COLLECTING:
            self.lore.close(session.id)

    def _project(self, name: str) -> Project | None:
        try:
            return self.lore.project(name)
        except LoreError:
            log.warning("no lore project named %r: its hook records are dropped", name)
            return None


def _goal(events: list[dict[str, Any]]) -> str:
    """A session's goal: the first request the user made in it."""
    for event in events:
        if event.get("type") == steps.PROMPT:
            return str(event["payload"].get("text", ""))
    return ""


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
