"""What every stage receives and returns.

A stage is ``run(ctx, state) -> StageResult``: ``ctx`` is frozen (store, providers, clock,
settings and the job it works for); ``state`` is what the stage before it stored. The runner
stores each result's state before the next stage starts, so a retry resumes from there. Timing,
token accounting, logging and error handling wrap stages from outside (``pipeline.runner``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from lore.config import Settings
from lore.domain import Project, Session
from lore.domain.graph import Changeset
from lore.domain.jobs import Job
from lore.store.base import Store

Clock = Callable[[], float]
SchemaT = TypeVar("SchemaT", bound=BaseModel)


class StructuredLLM(Protocol):
    """The one LLM method the pipeline uses (``lore.providers.llm.LLM`` provides it)."""

    def structured(
        self, messages: list[dict[str, str]], schema: type[SchemaT], *, step: str
    ) -> SchemaT: ...


class Embedder(Protocol):
    """``lore.providers.embeddings``: unit-length float32 rows, one per text."""

    @property
    def model(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


@dataclass(frozen=True, slots=True)
class StageProviders:
    """The providers of one stage of one job; ``llm`` None means offline."""

    llm: StructuredLLM | None = None
    code_llm: StructuredLLM | None = None
    embedder: Embedder | None = None


@dataclass(frozen=True, slots=True)
class StageContext:
    store: Store
    providers: StageProviders
    clock: Clock
    settings: Settings
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
