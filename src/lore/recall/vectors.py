"""The dense channel's memory: each project's vectors as one float32 matrix, and query vectors.

A project's matrix is loaded once and kept until the project's index version changes (a
trigger bumps it on every write to its embeddings or nodes), so a query costs one version
lookup and one matrix-vector product: brute force over 100,000 x 384 floats is a few
milliseconds, and exact. Query vectors are kept in a small LRU: agents repeat queries, and
embedding one costs more than the whole search.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from lore.store.base import Store

Vector = NDArray[np.float32]


@dataclass(slots=True)
class ProjectMatrix:
    """One project's vectors: ``ids[i]`` is the node of ``matrix[i]``; ``kinds[i]`` its kind."""

    version: int
    ids: NDArray[np.int64]
    kinds: NDArray[np.str_]
    matrix: NDArray[np.float32]
    rows: dict[int, int] = field(default_factory=dict)
    _kind_masks: dict[tuple[str, ...], NDArray[np.bool_]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rows = {int(node_id): row for row, node_id in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def kind_mask(self, kinds: Sequence[str]) -> NDArray[np.bool_]:
        key = tuple(sorted(kinds))
        mask = self._kind_masks.get(key)
        if mask is None:
            mask = np.isin(self.kinds, np.array(key))
            self._kind_masks[key] = mask
        return mask

    def id_mask(self, allowed: Collection[int]) -> NDArray[np.bool_]:
        return np.isin(self.ids, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))

    def top(self, query: Vector, mask: NDArray[np.bool_], k: int) -> dict[int, float]:
        """The ``k`` rows under ``mask`` most similar to ``query``: node id -> cosine."""
        if not len(self) or k <= 0 or not mask.any():
            return {}
        scores = self.matrix @ query
        scores = np.where(mask, scores, -np.inf)
        k = min(k, int(mask.sum()))
        best = np.argpartition(-scores, k - 1)[:k]
        return {int(self.ids[row]): float(scores[row]) for row in best}

    def cosines(self, query: Vector, node_ids: Collection[int]) -> dict[int, float]:
        """Cosine of each node that has a vector (nodes without one are left out)."""
        known = [(node_id, self.rows[node_id]) for node_id in node_ids if node_id in self.rows]
        if not known:
            return {}
        scores = self.matrix[[row for _, row in known]] @ query
        return {node_id: float(score) for (node_id, _), score in zip(known, scores, strict=True)}


class VectorCache:
    """Project matrices, reloaded when the project's index version moves. Thread-safe."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._projects: dict[int, ProjectMatrix] = {}

    def matrix(self, project_id: int) -> ProjectMatrix:
        version = self.store.search.version(project_id)
        cached = self._projects.get(project_id)
        if cached is not None and cached.version == version:
            return cached
        with self._lock:
            cached = self._projects.get(project_id)
            if cached is None or cached.version != version:
                cached = self._load(project_id, version)
                self._projects[project_id] = cached
            return cached

    def _load(self, project_id: int, version: int) -> ProjectMatrix:
        ids, matrix = self.store.vectors.all_for_project(project_id)
        kind_of = self.store.search.node_kinds(project_id)
        kinds = np.array([kind_of.get(int(node_id), "") for node_id in ids], dtype=np.str_)
        return ProjectMatrix(version, ids, kinds, np.ascontiguousarray(matrix))


class QueryVectors:
    """An LRU of query embeddings, in front of an ``embed(texts)`` function."""

    def __init__(self, embed: Callable[[Sequence[str]], Vector], size: int) -> None:
        self._embed = embed
        self._size = size
        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> Vector:
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
        vector = np.ascontiguousarray(self._embed([text])[0], dtype=np.float32)
        with self._lock:
            self._cache[text] = vector
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return vector
