"""The PostgreSQL backend, for a team's shared store (``database_url = "postgresql://..."``).

Every repository runs on it: those written once for both engines (lore.store.sql: projects,
events, sessions, LLM calls, jobs, the session engine's records, the graph, its vectors, the
dashboard's overview and recall's shared SQL) and its own full text (tsvector and pg_trgm).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
from lore.store.postgres.db import PostgresDatabase
from lore.store.postgres.search import PostgresSearch
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


class PostgresStore:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db
        self.projects: ProjectStore = SQLProjects(db)
        self.events: EventStore = SQLEvents(db)
        self.sessions: SessionStore = SQLSessions(db)
        self.llm_calls: LLMCallStore = SQLLLMCalls(db)
        self.jobs: JobStore = SQLJobs(db)
        self.episodes: EpisodeStore = SQLEpisodes(db)
        self.steps: StepStore = SQLSteps(db)
        self.extractions: ExtractionStore = SQLExtractions(db)
        self.ops: OpStore = SQLOps(db)
        self.changesets: ChangesetStore = SQLChangesets(db)
        self.vectors: VectorStore = SQLVectors(db)
        self.graph: GraphStore = SQLGraph(db)
        self.item_matches: ItemMatchStore = SQLItemMatches(db)
        self.overview: OverviewStore = SQLOverview(db)
        self.search: SearchStore = PostgresSearch(db)

    @classmethod
    def open(cls, url: str) -> PostgresStore:
        return cls(PostgresDatabase.open(url))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.db.write():
            yield

    def close(self) -> None:
        self.db.close()


__all__ = ["PostgresStore"]
