"""The LLM and the embedder a session runs with: the configured ones, or those its overrides
name. Built once per distinct configuration and kept for the life of the engine."""

from __future__ import annotations

import json
import threading
from typing import Any

from lore.config import Settings
from lore.domain import Project, Session
from lore.providers.accounting import StoreRecorder
from lore.providers.embeddings import CachedEmbedder, Embedder, build_embedder
from lore.providers.llm import LLM, build_llm
from lore.sessions.config import session_config, session_settings
from lore.store.base import Store


class SessionProviders:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._llms: dict[str, LLM | None] = {}
        self._embedders: dict[str, Embedder] = {}
        self._lock = threading.Lock()

    def llm(self, project: Project, session: Session, *, job_id: int | None = None) -> LLM | None:
        """None when the session runs offline (the rules then do every step)."""
        tier = session_config(self.settings, project, session).model_tier
        overrides: dict[str, Any] = session.overrides.get("llm", {})
        key = json.dumps([tier, overrides], sort_keys=True)
        with self._lock:
            if key not in self._llms:
                self._llms[key] = build_llm(self.settings, tier=tier, overrides=overrides or None)
            llm = self._llms[key]
        if llm is None:
            return None
        recorder = StoreRecorder(self.store, project_id=project.id, job_id=job_id, stage="session")
        return llm.with_recorder(recorder)

    def embedder(self, session: Session) -> Embedder:
        settings = session_settings(self.settings, session)
        key = settings.embedding.model_dump_json()
        with self._lock:
            if key not in self._embedders:
                # Cached: windows rebuilt around new events and retried stages embed nothing again.
                self._embedders[key] = CachedEmbedder(build_embedder(settings))
            return self._embedders[key]

    def close(self) -> None:
        with self._lock:
            for llm in self._llms.values():
                if llm is not None:
                    llm.close()
            for embedder in self._embedders.values():
                embedder.close()
            self._llms.clear()
            self._embedders.clear()
