"""What every stage receives and returns.

A stage is ``run(ctx, state) -> StageResult``: ``ctx`` is frozen (store, providers, clock,
settings and the job it works for); ``state`` is what the stage before it stored. The runner
stores each result's state before the next stage starts, so a retry resumes from there. Timing,
token accounting, logging and error handling wrap stages from outside (``pipeline.runner``).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from lore.config import Settings
from lore.domain import Project, Session
from lore.domain.episodes import Extraction
from lore.domain.graph import Changeset
from lore.domain.jobs import Clock, Job
from lore.providers.embeddings import Embedder
from lore.providers.llm import LLM
from lore.sessions.ports import ExtractionHost
from lore.store.base import Store


class ProviderSource(Protocol):
    """Where stages get their models: a session's LLM (None offline) and embedder
    (``lore.sessions.providers.SessionProviders``)."""

    def llm(
        self, project: Project, session: Session, *, job_id: int | None = None
    ) -> LLM | None: ...

    def embedder(self, session: Session) -> Embedder: ...


class SessionHooks(ExtractionHost, Protocol):
    """What the session engine (``lore.sessions.SessionEngine``) does for a job of one of its
    sessions: bind the job to an extraction run when it starts (every run of the job, so
    idempotent), extract the run's trajectories, and take the result when the job ends
    (``extraction_finished``, from ``ExtractionHost``)."""

    def extraction_started(self, session_id: int, job_id: int) -> None: ...

    def extract(self, run: Extraction, llm: LLM | None) -> Changeset: ...


@dataclass(frozen=True, slots=True)
class StageProviders:
    """The providers of one stage of one job; ``llm`` None means offline."""

    llm: LLM | None = None
    embedder: Embedder | None = None


@dataclass(frozen=True, slots=True)
class StageContext:
    store: Store
    providers: StageProviders
    clock: Clock
    settings: Settings
    sessions: SessionHooks
    job: Job
    project: Project
    session: Session


class DriftFinding(BaseModel):
    """A stored item a later commit made doubtful (``review``) or resolved (``archived``)."""

    node_id: int
    status: str
    commit: str
    reason: str


class PipelineState(BaseModel):
    """What the stages hand on: the changeset being built and what it needs on the way."""

    changeset: Changeset
    event_ids: list[int] = Field(default_factory=list)
    # Draft ref -> base64 float32 vector, filled by Embed for Dedup and the commit.
    vectors: dict[str, str] = Field(default_factory=dict)
    embedding_model: str | None = None
    drift: list[DriftFinding] = Field(default_factory=list)

    def vector(self, ref: str) -> NDArray[np.float32] | None:
        encoded = self.vectors.get(ref)
        if encoded is None:
            return None
        return np.frombuffer(base64.b64decode(encoded), dtype=np.float32)

    def with_vectors(
        self, model: str, refs: Sequence[str], matrix: NDArray[np.float32]
    ) -> PipelineState:
        encoded = {
            ref: base64.b64encode(np.ascontiguousarray(row, dtype=np.float32).tobytes()).decode()
            for ref, row in zip(refs, matrix, strict=True)
        }
        return self.model_copy(
            update={"vectors": {**self.vectors, **encoded}, "embedding_model": model}
        )

    def all_vectors(self) -> dict[str, NDArray[np.float32]]:
        return {ref: vector for ref in self.vectors if (vector := self.vector(ref)) is not None}

    def count(self, name: str, amount: int = 1) -> None:
        """Add to a counter in the changeset's stats (rejected quotes, merges, ...)."""
        stats = self.changeset.stats
        stats[name] = stats.get(name, 0) + amount


@dataclass(frozen=True, slots=True)
class StageResult:
    state: PipelineState
    items: int = 0
    note: str | None = None
    skipped: bool = False


class Stage(Protocol):
    def __call__(self, ctx: StageContext, state: PipelineState) -> StageResult: ...
