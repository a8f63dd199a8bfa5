"""Moving a project to another embedding model: every vector recall searches, made again.

Items, steps and the other embedded nodes are embedded again from their text, step subgoals
from theirs; event windows are composed again from their events' vectors (``index_events``),
which recall also keeps to read a window's best event first. The new model is recorded before
the windows are rebuilt, since ``index_events`` embeds with the project's model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lore.providers.embeddings import Embedder, embedding_text
from lore.recall.index import index_events
from lore.store.base import Store, TextToEmbed

Progress = Callable[[int, int], None]
PAGE = 256


@dataclass(frozen=True, slots=True)
class ReembedResult:
    nodes: int
    windows: int
    subgoals: int
    model: str
    dim: int


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
    project = store.projects.set_embedding_model(project_id, embedder.model, embedder.dim)
    windows = 0
    for session_id in store.search.window_sessions(project_id):
        built = index_events(store, embedder, project, session_id).windows
        windows += built
        report.add(built)
    return ReembedResult(nodes, windows, subgoals, embedder.model, embedder.dim)


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
