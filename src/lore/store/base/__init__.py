"""The store interface: one small protocol per aggregate, a module per part of lore. Callers
type against these, imported from here, never against a backend; all SQL lives in the backends
under ``lore.store``."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from lore.store.base.capture import (
    AppendOutcome,
    EventStore,
    PreparedEvent,
    ProjectStore,
    SessionStore,
)
from lore.store.base.engine import ChangesetStore, EpisodeStore, ExtractionStore, OpStore, StepStore
from lore.store.base.graph import AppliedChangeset, GraphStore, ItemFilter, ItemMatchStore
from lore.store.base.jobs import JobStore, StageOutcome
from lore.store.base.llm_calls import LLMCall, LLMCallStore, LLMUsage, UsageGroup
from lore.store.base.overview import OverviewStore
from lore.store.base.search import RecallFilter, RecallRow, SearchStore, WindowDraft
from lore.store.base.vectors import TextToEmbed, VectorStore


class Store(Protocol):
    projects: ProjectStore
    events: EventStore
    sessions: SessionStore
    llm_calls: LLMCallStore
    vectors: VectorStore
    jobs: JobStore
    item_matches: ItemMatchStore
    episodes: EpisodeStore
    steps: StepStore
    extractions: ExtractionStore
    ops: OpStore
    changesets: ChangesetStore
    graph: GraphStore
    search: SearchStore
    overview: OverviewStore

    def transaction(self) -> AbstractContextManager[None]:
        """One atomic unit: every repository call inside joins it, and it is rolled back
        when the block raises."""
        ...

    def close(self) -> None: ...


__all__ = [
    "AppendOutcome",
    "AppliedChangeset",
    "ChangesetStore",
    "EpisodeStore",
    "EventStore",
    "ExtractionStore",
    "GraphStore",
    "ItemFilter",
    "ItemMatchStore",
    "JobStore",
    "LLMCall",
    "LLMCallStore",
    "LLMUsage",
    "OpStore",
    "OverviewStore",
    "PreparedEvent",
    "ProjectStore",
    "RecallFilter",
    "RecallRow",
    "SearchStore",
    "SessionStore",
    "StageOutcome",
    "StepStore",
    "Store",
    "TextToEmbed",
    "UsageGroup",
    "VectorStore",
    "WindowDraft",
]
