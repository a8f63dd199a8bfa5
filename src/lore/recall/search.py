"""Hybrid search over one project: dense, full text, identifiers and the graph, fused and ranked.

The recipe (``docs/retrieval.md``, ``docs/recall.md``):

1. Candidates: the best ``pool_depth`` nodes by cosine over the project's cached matrix, by
   BM25 over the porter FTS5 index, and by the trigram index for identifiers in the query.
2. Fusion: ``(1 - w) * bm25 / max + w * minmax(cosine)`` over the pool (every pooled node's
   cosine is looked up), plus ``identifier_weight`` times the normalised substring score.
3. Graph expansion: tags and intents the query matches, and the best fused items, spread their
   score through membership, hierarchical, sibling and related links, up to two hops, damped
   per hop and on hub nodes; what they reach joins the pool with ``graph_weight`` x that score.
4. Ranking: fused x value (recency, frequency, reward, confidence, status) x the mode's kind
   weight x the ``active_files`` boost. ``min_similarity`` gates on the raw cosine (a node that
   matched an identifier exactly always passes); it never ranks.
5. De-duplication by provenance: a result whose events are mostly covered by better results is
   skipped, so the top k spend their slots on different evidence.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lore.config import RecallSettings
from lore.domain.graph import LinkKind, NodeKind
from lore.recall import fusion
from lore.recall.models import Hit, RecallRequest
from lore.recall.modes import ROUTING_KINDS, Recipe
from lore.recall.text import affordable, fts_alternatives, match_expression, trigram_match_query
from lore.recall.value import ValueParams, value, value_ceiling
from lore.recall.vectors import ProjectMatrix, Vector, VectorCache
from lore.store.base import RecallFilter, RecallRow, Store

EXPANSION_LINKS: tuple[LinkKind, ...] = ("membership", "hierarchical", "sibling", "related")
# Seeds of graph expansion: this many routing nodes the query matches, and this many top items.
ROUTING_SEEDS = 5
ITEM_SEEDS = 10
# A routing node linked to more than this many nodes spreads less to each (1 / sqrt(share)).
HUB_DEGREE = 10
MAX_HOPS = 2
# At most this many nodes join the pool through the graph (the best reached).
GRAPH_DEPTH = 30
# Candidates' rows are read this many at a time (at least three times the limit).
ROW_CHUNK = 40


@dataclass(frozen=True, slots=True)
class Pool:
    """The fused candidates of one query."""

    fused: dict[int, float]
    cosine: dict[int, float]
    channels: dict[int, list[str]]
    exact: frozenset[int]


class HybridSearch:
    def __init__(
        self,
        store: Store,
        settings: RecallSettings,
        vectors: VectorCache,
        embed_query: Callable[[str], Vector] | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.vectors = vectors
        self.embed_query = embed_query
        self.clock = clock
        self.params = ValueParams.of(settings)

    def search(self, project_id: int, request: RecallRequest, mode_recipe: Recipe) -> list[Hit]:
        where = self._filter(request, mode_recipe)
        query_vector = self.embed_query(request.query) if self.embed_query else None
        matrix = self.vectors.matrix(project_id) if query_vector is not None else None
        match = self._match(request.query)
        pool = self._pool(project_id, request.query, match, query_vector, matrix, where)
        self._expand(project_id, match, query_vector, matrix, pool)
        kept, rows, scores = self._rank(project_id, pool, where, request, mode_recipe)
        if request.record_access and kept:
            self.store.graph.record_access(kept, self.clock())
        return [_hit(rows[node_id], scores[node_id], pool, node_id) for node_id in kept]

    def _rank(
        self,
        project_id: int,
        pool: Pool,
        where: RecallFilter,
        request: RecallRequest,
        recipe: Recipe,
    ) -> tuple[list[int], dict[int, RecallRow], dict[int, float]]:
        """The top ``limit`` after value weighting and de-duplication. Rows are read in chunks,
        best fused first, and reading stops once no unread candidate can reach the top: its
        fused score times the largest possible weighting is below the last kept score."""
        ordered = fusion.rank(pool.fused)
        ceiling = self._ceiling(request, recipe)
        chunk = max(ROW_CHUNK, 3 * request.limit)
        rows: dict[int, RecallRow] = {}
        scores: dict[int, float] = {}
        kept: list[int] = []
        for start in range(0, len(ordered), chunk):
            batch = ordered[start : start + chunk]
            rows.update((row.id, row) for row in self.store.search.rows(project_id, batch, where))
            scores.update(self._scores(batch, pool, rows, request, recipe))
            kept = fusion.dedup_by_provenance(
                fusion.rank(scores),
                lambda node_id: rows[node_id].event_ids,
                self.settings.max_covered_share,
                limit=request.limit,
            )
            unread = start + chunk
            if (
                len(kept) == request.limit
                and unread < len(ordered)
                and pool.fused[ordered[unread]] * ceiling < scores[kept[-1]]
            ):
                break
        return kept, rows, scores

    def _ceiling(self, request: RecallRequest, recipe: Recipe) -> float:
        """The largest factor value x kind weight x boost can give a node."""
        kinds = recipe.kinds(request.include_events)
        weight = max(recipe.weight(kind, request.include_events) for kind in kinds)
        boost = 1.0 + (self.settings.active_files_boost if request.active_files else 0.0)
        return weight * boost * value_ceiling(self.params)

    def _filter(self, request: RecallRequest, recipe: Recipe) -> RecallFilter:
        return RecallFilter(
            kinds=recipe.kinds(request.include_events),
            types=request.types or None,
            statuses=request.statuses or None,
            schema_key_prefix=request.schema_key,
            tags=request.tags or None,
            files=request.files or None,
            since=request.since,
            until=request.until,
        )

    def _match(self, query: str) -> str | None:
        """The full-text query: its alternatives the lexical budget affords."""
        alternatives = fts_alternatives(query)
        if not alternatives:
            return None
        documents = self.store.search.term_documents(alternatives)
        return match_expression(affordable(alternatives, documents, self.settings.lexical_budget))

    def _pool(
        self,
        project_id: int,
        query: str,
        match: str | None,
        query_vector: Vector | None,
        matrix: ProjectMatrix | None,
        where: RecallFilter,
    ) -> Pool:
        depth = self.settings.pool_depth
        dense: dict[int, float] = {}
        if query_vector is not None and matrix is not None and len(matrix):
            dense = matrix.top(query_vector, self._mask(project_id, matrix, where), depth)
        lexical = self._lexical(project_id, match, where, depth)
        exact = self._substring(project_id, trigram_match_query(query), where, depth)
        pooled = dense.keys() | lexical.keys() | exact.keys()
        cosine = dict(dense)
        if query_vector is not None and matrix is not None:
            cosine.update(matrix.cosines(query_vector, pooled - dense.keys()))
        fused = fusion.hybrid_scores(lexical, cosine, self.settings.dense_weight)
        for node_id, score in fusion.max_normalised(exact).items():
            fused[node_id] = fused.get(node_id, 0.0) + self.settings.identifier_weight * score
        channels: dict[int, list[str]] = {node_id: [] for node_id in pooled}
        for name, found in (("dense", dense), ("lexical", lexical), ("identifier", exact)):
            for node_id in found:
                channels[node_id].append(name)
        for node_id in pooled:
            fused.setdefault(node_id, 0.0)
        return Pool(fused, cosine, channels, frozenset(exact))

    def _mask(self, project_id: int, matrix: ProjectMatrix, where: RecallFilter) -> np.ndarray:
        mask = matrix.kind_mask(where.kinds)
        if not where.only_kinds:
            mask = mask & matrix.id_mask(self.store.search.matching_ids(project_id, where))
        return mask

    def _lexical(
        self, project_id: int, match: str | None, where: RecallFilter, depth: int
    ) -> dict[int, float]:
        if match is None:
            return {}
        return self.store.search.lexical(project_id, match, where, depth)

    def _substring(
        self, project_id: int, match: str | None, where: RecallFilter, depth: int
    ) -> dict[int, float]:
        if match is None or self.settings.identifier_weight <= 0:
            return {}
        return self.store.search.substring(project_id, match, where, depth)

    def _expand(
        self,
        project_id: int,
        match: str | None,
        query_vector: Vector | None,
        matrix: ProjectMatrix | None,
        pool: Pool,
    ) -> None:
        """Add the graph channel to the pool in place."""
        if self.settings.graph_weight <= 0:
            return
        seeds = self._routing_seeds(project_id, match, query_vector, matrix)
        top = max(pool.fused.values(), default=0.0)
        if top > 0:
            best = fusion.rank(pool.fused)[:ITEM_SEEDS]
            seeds.update({node_id: pool.fused[node_id] / top for node_id in best})
        reached = dict(_best(self._spread(project_id, seeds), GRAPH_DEPTH))
        for node_id, score in reached.items():
            pool.fused[node_id] = pool.fused.get(node_id, 0.0) + self.settings.graph_weight * score
            pool.channels.setdefault(node_id, []).append("graph")
        missing = reached.keys() - pool.cosine.keys()
        if missing and query_vector is not None and matrix is not None:
            pool.cosine.update(matrix.cosines(query_vector, missing))

    def _routing_seeds(
        self,
        project_id: int,
        match: str | None,
        query_vector: Vector | None,
        matrix: ProjectMatrix | None,
    ) -> dict[int, float]:
        """Tags and intents the query names (full text) or means (cosine), scored 0..1."""
        where = RecallFilter(kinds=ROUTING_KINDS, hidden=())
        lexical = self._lexical(project_id, match, where, ROUTING_SEEDS)
        dense: dict[int, float] = {}
        if query_vector is not None and matrix is not None and len(matrix):
            mask = matrix.kind_mask(ROUTING_KINDS)
            dense = matrix.top(query_vector, mask, ROUTING_SEEDS)
            dense.update(matrix.cosines(query_vector, lexical.keys() - dense.keys()))
        if not lexical and not dense:
            return {}
        scores = fusion.hybrid_scores(lexical, dense, self.settings.dense_weight)
        return dict(_best(scores, ROUTING_SEEDS))

    def _spread(self, project_id: int, seeds: Mapping[int, float]) -> dict[int, float]:
        """Scores reached from ``seeds`` in up to two hops: seed score x link weight x hop
        decay (from the second hop) x hub damping; a node keeps its best path."""
        reached: dict[int, float] = {}
        frontier = {node_id: score for node_id, score in seeds.items() if score > 0}
        for hop in range(1, MAX_HOPS + 1):
            if not frontier:
                break
            edges = self.store.search.neighbours(project_id, list(frontier), EXPANSION_LINKS)
            degree: dict[int, int] = {}
            for src, _, _ in edges:
                degree[src] = degree.get(src, 0) + 1
            decay = self.settings.graph_hop_decay ** (hop - 1)
            following: dict[int, float] = {}
            for src, dst, weight in edges:
                damping = min(1.0, math.sqrt(HUB_DEGREE / degree[src]))
                score = frontier[src] * min(1.0, weight) * decay * damping
                if score > following.get(dst, 0.0):
                    following[dst] = score
            for node_id, score in following.items():
                reached[node_id] = max(reached.get(node_id, 0.0), score)
            frontier = following
        return reached

    def _scores(
        self,
        node_ids: Sequence[int],
        pool: Pool,
        rows: Mapping[int, RecallRow],
        request: RecallRequest,
        recipe: Recipe,
    ) -> dict[int, float]:
        """Final scores of the nodes that pass the filter and the similarity gate."""
        now = self.clock()
        gate = self.settings.min_similarity
        if request.min_similarity is not None:
            gate = request.min_similarity
        scores: dict[int, float] = {}
        for node_id in node_ids:
            row = rows.get(node_id)
            if row is None or not _passes(node_id, pool, gate):
                continue
            weight = recipe.weight(row.kind, request.include_events)
            boost = 1.0
            if request.active_files and about_files(row, request.active_files):
                boost += self.settings.active_files_boost
            scores[node_id] = pool.fused[node_id] * value(row, now, self.params) * weight * boost
        return scores


def _best(scores: Mapping[int, float], count: int) -> list[tuple[int, float]]:
    return [(node_id, scores[node_id]) for node_id in fusion.rank(scores)[:count]]


def _passes(node_id: int, pool: Pool, gate: float) -> bool:
    if gate <= 0 or node_id in pool.exact:
        return True
    return pool.cosine.get(node_id, -1.0) >= gate


def about_files(row: RecallRow, paths: Sequence[str]) -> bool:
    """Whether the node is about one of ``paths``: a file of the node equal to, ending in, or
    inside a path; for a node without files (a window), the path named in its text."""
    for path in paths:
        path = path.strip("/")
        if not path:
            continue
        for stored in row.files:
            if stored == path or stored.endswith("/" + path) or stored.startswith(path + "/"):
                return True
        if not row.files and path in row.body:
            return True
    return False


def _hit(row: RecallRow, score: float, pool: Pool, node_id: int) -> Hit:
    return Hit(
        id=row.id,
        kind=row.kind,
        type=row.type,
        title=row.title or _window_title(row),
        text=row.body,
        score=round(score, 6),
        relevance=round(pool.cosine.get(node_id, 0.0), 6),
        schema_key=row.schema_key,
        files=row.files,
        tags=row.tags,
        event_ids=list(row.event_ids),
        status=row.status,
        confidence=row.confidence,
        session_id=row.session_id,
        created_at=row.created_at,
        channels=pool.channels.get(node_id, []),
    )


def _window_title(row: RecallRow) -> str:
    date = row.data.get("date")
    kind: NodeKind = row.kind
    where = f"session {row.session_id}" if row.session_id else kind
    return f"{where}, {date}" if date else where
