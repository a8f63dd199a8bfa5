"""A project's vectors all come from one model: it is recorded on first use, a different one is
refused, and ``reembed`` moves a project (nodes and step subgoals) to a new model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from lore.errors import EmbeddingMismatchError
from lore.providers.embeddings.base import Embedder, embedding_text

if TYPE_CHECKING:
    from lore.domain import Project
    from lore.store.base import Store, TextToEmbed

Progress = Callable[[int, int], None]
PAGE = 256


@dataclass(frozen=True, slots=True)
class ReembedResult:
    nodes: int
    subgoals: int
    model: str
    dim: int


def ensure_project_embedding(store: Store, project: Project, embedder: Embedder) -> Project:
    """The project, with ``embedder``'s model recorded if none was; a project embedded with
    another model (or dimension) raises ``EmbeddingMismatchError`` naming both."""
    if project.embedding_model is None:
        return store.projects.set_embedding_model(project.id, embedder.model, embedder.dim)
    if (project.embedding_model, project.embedding_dim) != (embedder.model, embedder.dim):
        raise EmbeddingMismatchError(
            f"project {project.name!r} is embedded with {project.embedding_model}"
            f" ({project.embedding_dim} dims) but the configured embedding model is"
            f" {embedder.model} ({embedder.dim} dims): run `lore reembed --project"
            f" {project.name}` to re-embed it, or configure {project.embedding_model} again"
        )
    return project


def reembed(
    store: Store, project_id: int, embedder: Embedder, progress: Progress | None = None
) -> ReembedResult:
    """Embed again every node that has a vector and every step subgoal that has one, then
    record the new model. Safe to run again after an interruption."""
    total = store.vectors.count(project_id) + store.vectors.subgoal_count(project_id)
    report = _Counter(total, progress)
    nodes = _rewrite(
        lambda after: store.vectors.embedded_node_texts(project_id, after_id=after, limit=PAGE),
        lambda ids, vectors: store.vectors.put(embedder.model, ids, vectors),
        embedder,
        report,
    )
    subgoals = _rewrite(
        lambda after: store.vectors.subgoal_texts(project_id, after_id=after, limit=PAGE),
        store.vectors.put_subgoal_vectors,
        embedder,
        report,
    )
    store.projects.set_embedding_model(project_id, embedder.model, embedder.dim)
    return ReembedResult(nodes, subgoals, embedder.model, embedder.dim)


@dataclass(slots=True)
class _Counter:
    total: int
    progress: Progress | None
    done: int = 0

    def add(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.done))


def _rewrite(
    page: Callable[[int], list[TextToEmbed]],
    put: Callable[[Sequence[int], NDArray[np.float32]], None],
    embedder: Embedder,
    counter: _Counter,
) -> int:
    count, after = 0, 0
    while rows := page(after):
        vectors = embedder.embed([embedding_text(row.title, row.body) for row in rows])
        put([row.id for row in rows], vectors)
        count, after = count + len(rows), rows[-1].id
        counter.add(len(rows))
    return count
