"""The session engine: the state machine of sessions, their episodes, steps and trajectories,
extraction as a durable job, commit of changesets, and queued async operations.

Callers go through ``Lore`` (``mem.start_session``, ``mem.append``, ``mem.close(sid)``, ...);
the enrichment pipeline talks to ``SessionEngine`` through ``lore.sessions.ports``.
"""

from lore.sessions.callbacks import OpResult
from lore.sessions.engine import SessionEngine
from lore.sessions.events import SessionEvent
from lore.sessions.ports import ExtractionOutput, ExtractionRunner

__all__ = ["ExtractionOutput", "ExtractionRunner", "OpResult", "SessionEngine", "SessionEvent"]
