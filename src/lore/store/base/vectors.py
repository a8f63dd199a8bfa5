"""Stored embeddings: per node and per event, by model, with the log of their changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class TextToEmbed:
    """A stored text and where its vector goes: a node (title and body), or a step (its subgoal
    as the title)."""

    id: int
    title: str
    body: str = ""


class VectorStore(Protocol):
    """Embeddings of nodes as float32 blobs, tagged with the model that made them."""

    def put(self, model: str, node_ids: Sequence[int], vectors: NDArray[np.float32]) -> None:
        """Store (or replace) one row of ``vectors`` per node id."""
        ...

    def get(
        self, node_ids: Sequence[int], *, model: str | None = None
    ) -> dict[int, NDArray[np.float32]]:
        """The stored vectors among ``node_ids`` (only those of ``model`` when given)."""
        ...

    def put_events(
        self, model: str, event_ids: Sequence[int], vectors: NDArray[np.float32]
    ) -> None:
        """Store (or replace) the vector of each event (half precision)."""
        ...

    def of_events(self, event_ids: Sequence[int], model: str) -> dict[int, NDArray[np.float32]]:
        """The stored vectors of ``model`` among ``event_ids``."""
        ...

    def delete(self, node_ids: Sequence[int]) -> int: ...
    def count(self, project_id: int, *, model: str | None = None) -> int: ...
    def all_for_project(
        self,
        project_id: int,
        kinds: Sequence[str] | None = None,
        *,
        model: str | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """(node ids, matrix with one row per id) for a recall index. ``model`` defaults to the
        project's recorded embedding model, so vectors of another model never mix in."""
        ...

    def page(
        self, project_id: int, model: str, *, after_id: int, limit: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """Up to ``limit`` of the project's vectors of ``model`` after ``after_id``, by node id."""
        ...

    def ids_of_kinds(
        self, project_id: int, model: str, kinds: Sequence[str], *, limit: int
    ) -> list[int]:
        """Up to ``limit`` ids of the project's nodes of ``kinds`` with a vector of ``model``."""
        ...

    def last_change(self, project_id: int) -> int:
        """The number of the project's latest vector change (0: none logged)."""
        ...

    def changed_since(self, project_id: int, seq: int) -> tuple[int, list[int]]:
        """(the latest change's number, the nodes whose vector changed after ``seq``, each
        once): what an index holding the project's vectors up to ``seq`` must apply."""
        ...

    def embedded_node_texts(
        self, project_id: int, *, after_id: int = 0, limit: int = 256
    ) -> list[TextToEmbed]:
        """Title and body of nodes that have an embedding, by id, for re-embedding; event
        windows aside (their vectors are composed from their events', ``index_events``)."""
        ...

    def subgoal_texts(
        self, project_id: int, *, after_id: int = 0, limit: int = 256
    ) -> list[TextToEmbed]:
        """Subgoals of steps that have a subgoal vector, by step id, for re-embedding."""
        ...

    def put_subgoal_vectors(
        self, step_ids: Sequence[int], vectors: NDArray[np.float32]
    ) -> None: ...
    def subgoal_count(self, project_id: int) -> int: ...
