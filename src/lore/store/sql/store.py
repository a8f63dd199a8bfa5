"""A store of the repositories both engines share, on one ``Database``; each backend adds how it
opens and its own full text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from lore.store.base import (
    ChangesetStore,
    EpisodeStore,
    EventStore,
    ExtractionStore,
    GraphStore,
    ItemMatchStore,
    JobStore,
    LLMCallStore,
    OpStore,
    OverviewStore,
    ProjectStore,
    SearchStore,
    SessionStore,
    StepStore,
    VectorStore,
)
from lore.store.sql import Database
from lore.store.sql.changesets import SQLChangesets
from lore.store.sql.episodes import SQLEpisodes
from lore.store.sql.events import SQLEvents
from lore.store.sql.extractions import SQLExtractions
from lore.store.sql.graph import SQLGraph
from lore.store.sql.item_matches import SQLItemMatches
from lore.store.sql.jobs import SQLJobs
from lore.store.sql.llm_calls import SQLLLMCalls
from lore.store.sql.ops import SQLOps
from lore.store.sql.overview import SQLOverview
from lore.store.sql.projects import SQLProjects
from lore.store.sql.sessions import SQLSessions
from lore.store.sql.steps import SQLSteps
from lore.store.sql.vectors import SQLVectors

D = TypeVar("D", bound=Database)


class SQLStore(Generic[D]):
    def __init__(self, db: D, search: SearchStore) -> None:
        self.db = db
        self.projects: ProjectStore = SQLProjects(db)
        self.events: EventStore = SQLEvents(db)
        self.sessions: SessionStore = SQLSessions(db)
        self.llm_calls: LLMCallStore = SQLLLMCalls(db)
        self.vectors: VectorStore = SQLVectors(db)
        self.jobs: JobStore = SQLJobs(db)
        self.item_matches: ItemMatchStore = SQLItemMatches(db)
        self.episodes: EpisodeStore = SQLEpisodes(db)
        self.steps: StepStore = SQLSteps(db)
        self.extractions: ExtractionStore = SQLExtractions(db)
        self.ops: OpStore = SQLOps(db)
        self.changesets: ChangesetStore = SQLChangesets(db)
        self.graph: GraphStore = SQLGraph(db)
        self.search = search
        self.overview: OverviewStore = SQLOverview(db)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.db.write():
            yield

    def close(self) -> None:
        self.db.close()
