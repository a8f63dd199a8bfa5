"""Approximate nearest neighbours for large projects: a project's vectors in an HNSW graph.

Past ``recall.ann_min_vectors`` vectors the dense channel searches a usearch index (HNSW over
half-precision vectors, cosine) instead of the exact matrix of ``lore.recall.vectors``. The index
is saved under ``$LORE_HOME/vectors``, its file named after the last vector change it holds
(table ``vector_changes``): a new process loads the file instead of reading every vector from
SQLite, and every process catches up from that change instead of rebuilding. A query asks the
graph for at least ``CANDIDATES`` neighbours (usearch widens its search to the count asked), keeps
those of the kinds and ids the filter allows, and returns the best ``k``; ``lore bench recall``
reports its recall@10 against exact search.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
from usearch.index import Index

from lore.store.base import Store

Vector = np.ndarray
# Neighbours asked of the graph per query, at least: the wider search is what keeps recall@10
# against exact search at 0.98 or more (lore bench recall); it costs about a millisecond.
CANDIDATES = 200
# Graph degree and build-time breadth: usearch's defaults, measured at 100,000 and 1M vectors.
CONNECTIVITY = 16
EXPANSION_ADD = 128
# Vectors read from SQLite per step when building, so a build never holds them all at once.
BUILD_PAGE = 50_000
# The index is saved again once this many changes were applied since it was loaded or saved.
SAVE_AFTER = 5_000
# With an allow-list of ids this short, the allowed vectors are scored exactly instead.
EXACT_IDS = 5_000


class AnnIndex:
    """One project's vectors of one model in a usearch graph, kept current from the change log.

    Searches and catch-ups take the index's lock: usearch's graph is not safe to change while
    another thread walks it."""

    def __init__(
        self,
        store: Store,
        project_id: int,
        model: str,
        index: Index,
        seq: int,
        folder: Path,
        mapped_from: Path | None = None,
    ) -> None:
        self.store = store
        self.project_id = project_id
        self.model = model
        self.index = index
        self.seq = seq
        self.folder = folder
        # The file a read-only index is mapped from (None once copied to memory to change it).
        self.mapped_from = mapped_from
        self.unsaved = 0
        self._lock = threading.Lock()
        self._kinds: dict[tuple[str, ...], list[int] | None] = {}

    @classmethod
    def open(cls, store: Store, project_id: int, model: str, folder: Path) -> AnnIndex:
        """The saved index of the project and model, mapped from its file (pages are read as
        searches touch them) and caught up; built (and saved) when there is none or the one
        saved is not of this store."""
        saved = _newest(folder, project_id, model)
        if saved is not None and store.vectors.last_change(project_id) >= saved[1]:
            index = Index.restore(str(saved[0]), view=True)
            if index is not None:
                ann = cls(store, project_id, model, index, saved[1], folder, saved[0])
                ann.catch_up()
                if ann.holds_the_store():
                    return ann
        return cls.build(store, project_id, model, folder)

    @staticmethod
    def saved(folder: Path, project_id: int, model: str) -> bool:
        """Whether an index of the project and model is saved in ``folder``."""
        return _newest(folder, project_id, model) is not None

    def holds_the_store(self) -> bool:
        """Whether the index holds the store's vectors, by a sample of them: a file left from
        another database (the home's lore.db replaced) fails it."""
        ids, matrix = self.store.vectors.page(self.project_id, self.model, after_id=0, limit=16)
        if not len(ids):
            return len(self) == 0
        found = self._vectors([int(node_id) for node_id in ids])
        return len(found) == len(ids) and all(
            np.allclose(found[int(node_id)], row, atol=2e-3)
            for node_id, row in zip(ids, matrix, strict=True)
        )

    @classmethod
    def build(cls, store: Store, project_id: int, model: str, folder: Path) -> AnnIndex:
        # The change log's end is read first: a change made while the vectors are read is
        # applied again by the catch-up, which is harmless.
        seq = store.vectors.last_change(project_id)
        project = store.projects.get(project_id)
        index = Index(
            ndim=project.embedding_dim or 0,
            metric="cos",
            dtype="f16",
            connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD,
        )
        after = 0
        while True:
            ids, matrix = store.vectors.page(project_id, model, after_id=after, limit=BUILD_PAGE)
            if not len(ids):
                break
            index.add(ids, matrix, threads=os.cpu_count() or 1)
            after = int(ids[-1])
        ann = cls(store, project_id, model, index, seq, folder)
        ann.catch_up()
        ann.save()
        return ann

    def __len__(self) -> int:
        return len(self.index)

    def catch_up(self) -> int:
        """Apply the vector changes logged since the index's last; returns how many nodes."""
        with self._lock:
            seq, changed = self.store.vectors.changed_since(self.project_id, self.seq)
            if not changed:
                return 0
            if self.mapped_from is not None:  # a mapped index cannot change: copy it to memory
                self.index = self.index.copy()
                self.mapped_from = None
            keys = np.array(changed, dtype=np.uint64)
            present = keys[self.index.contains(keys)]
            if len(present):
                self.index.remove(present)
            vectors = self.store.vectors.get(changed, model=self.model)
            if vectors:
                ids = np.fromiter(vectors, dtype=np.uint64, count=len(vectors))
                self.index.add(ids, np.stack(list(vectors.values())), threads=1)
            self.seq = seq
            self.unsaved += len(changed)
            self._kinds.clear()
        if self.unsaved >= SAVE_AFTER:
            self.save()
        return len(changed)

    def save(self) -> None:
        """Write the index under a name holding its last change, then drop older files."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            target = _path(self.folder, self.project_id, self.model, self.seq)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            os.close(handle)
            self.index.save(temporary)
            os.replace(temporary, target)
            self.unsaved = 0
        for older, _ in _saved(self.folder, self.project_id, self.model):
            if older != target:
                older.unlink(missing_ok=True)

    def top(
        self, query: Vector, k: int, kinds: Sequence[str], allowed: Collection[int] | None = None
    ) -> dict[int, float]:
        """The ``k`` nodes of ``kinds`` (and among ``allowed``) nearest ``query``: id -> cosine.

        A filter few nodes pass (kinds such as tags, a short allow-list) is met by scoring its
        nodes exactly: the graph's neighbours would seldom hold them."""
        if k <= 0 or not len(self):
            return {}
        few = self._few(kinds)
        if few is not None:
            if allowed is not None:
                few = list(set(few).intersection(allowed))
            return _best(self.cosines(query, few), k)
        if allowed is not None and len(allowed) <= EXACT_IDS:
            return _best(self.cosines(query, self._of_kinds(allowed, kinds)), k)
        count = max(CANDIDATES, 4 * k)
        while True:
            scores = self._nearest(query, min(count, len(self)))
            wanted = set(self._of_kinds(scores, kinds))
            if allowed is not None:
                wanted &= set(allowed)
            if len(wanted) >= k or count >= len(self):
                return _best({node_id: scores[node_id] for node_id in wanted}, k)
            count *= 8

    def _few(self, kinds: Sequence[str]) -> list[int] | None:
        """The nodes of ``kinds`` when there are ``EXACT_IDS`` or fewer, else None; kept until
        the next catch-up."""
        key = tuple(sorted(kinds))
        if key not in self._kinds:
            found = self.store.vectors.ids_of_kinds(
                self.project_id, self.model, key, limit=EXACT_IDS + 1
            )
            self._kinds[key] = found if len(found) <= EXACT_IDS else None
        return self._kinds[key]

    def _nearest(self, query: Vector, count: int) -> dict[int, float]:
        with self._lock:
            found = self.index.search(query, count, threads=1)
        return {
            int(key): 1.0 - float(distance)
            for key, distance in zip(found.keys, found.distances, strict=True)
        }

    def cosines(self, query: Vector, node_ids: Collection[int]) -> dict[int, float]:
        """Cosine of each node that has a vector (nodes without one are left out)."""
        vectors = self._vectors(node_ids)
        return {node_id: float(vector @ query) for node_id, vector in vectors.items()}

    def similarity(self, first: int, second: int) -> float:
        vectors = self._vectors([first, second])
        if len(vectors) < 2:
            return 0.0
        return float(vectors[first] @ vectors[second])

    def _vectors(self, node_ids: Collection[int]) -> dict[int, Vector]:
        if not node_ids:
            return {}
        keys = list(node_ids)
        with self._lock:
            found = self.index.get(np.array(keys, dtype=np.uint64), dtype="f32")
        vectors = found if isinstance(found, tuple) else tuple(found or ())
        return {
            key: vector for key, vector in zip(keys, vectors, strict=True) if vector is not None
        }

    def _of_kinds(self, node_ids: Collection[int], kinds: Sequence[str]) -> list[int]:
        kind_of = self.store.search.kinds_of(list(node_ids))
        wanted = set(kinds)
        return [node_id for node_id in node_ids if kind_of.get(node_id) in wanted]


def prepare(store: Store, project_id: int, folder: Path, min_vectors: int) -> bool:
    """Build and save the project's index when it has more than ``min_vectors`` vectors of its
    model and none is saved yet; True when it did. The pipeline's worker calls it after each job,
    so the first recall past the threshold loads the index instead of building it (minutes at
    a million vectors)."""
    model = store.projects.get(project_id).embedding_model
    if not model or AnnIndex.saved(folder, project_id, model):
        return False
    if store.vectors.count(project_id, model=model) <= min_vectors:
        return False
    AnnIndex.build(store, project_id, model, folder)
    return True


def _best(scores: dict[int, float], k: int) -> dict[int, float]:
    return dict(sorted(scores.items(), key=lambda item: -item[1])[:k])


def _path(folder: Path, project_id: int, model: str, seq: int) -> Path:
    return folder / f"project-{project_id}-{_slug(model)}-{seq}.usearch"


def _slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", model)


def _saved(folder: Path, project_id: int, model: str) -> list[tuple[Path, int]]:
    """The saved indexes of the project and model, with the last change each holds."""
    prefix = f"project-{project_id}-{_slug(model)}-"
    return [
        (path, int(path.stem[len(prefix) :]))
        for path in folder.glob(f"{prefix}*.usearch")
        if path.stem[len(prefix) :].isdigit()
    ]


def _newest(folder: Path, project_id: int, model: str) -> tuple[Path, int] | None:
    return max(_saved(folder, project_id, model), key=lambda pair: pair[1], default=None)
