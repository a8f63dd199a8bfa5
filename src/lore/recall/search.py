"""Hybrid search over one project: dense, full text, identifiers and the graph, fused and ranked.

The recipe (``docs/retrieval.md``, ``docs/recall.md``):

1. Candidates: the best ``pool_depth`` nodes by cosine over the project's cached matrix, by
   BM25 over the porter FTS5 index (identifiers as phrases), and by the trigram index for
   identifiers written as one word (``useState``), which may sit inside longer words.
2. Fusion: ``(1 - w) * bm25 / max + w * minmax(cosine)`` over the pool (every pooled node's
   cosine is looked up), plus ``identifier_weight`` for a node that holds one of the query's
   identifiers as written (case aside).
3. Graph expansion: tags and intents the query matches, and the best fused items, spread their
   score through membership, hierarchical, sibling and related links, up to two hops, damped
   per hop and on hub nodes; what they reach joins the pool with ``graph_weight`` x that score.
4. Ranking: fused x value (recency, frequency, reward, confidence, status) x the mode's kind
   weight x the ``active_files`` boost. ``min_similarity`` gates on the raw cosine (a node that
   matched an identifier exactly always passes); it never ranks.
5. De-duplication by provenance: a result whose events are mostly covered by better results is
   skipped, so the top k spend their slots on different evidence.
6. The answer first: a raw window reads its events most like the query first (cosine of the
   event's own vector, plus the rarer query words it holds), each event once in the whole
   answer; an item reads its lines holding the rarer query words right after its first.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from lore.config import RecallSettings
from lore.domain.graph import ITEM_KINDS, LinkKind, NodeKind
from lore.recall import fusion
from lore.recall.index import event_line
from lore.recall.models import Hit, RecallRequest
from lore.recall.modes import ROUTING_KINDS, Recipe, asks_about_now, says_it_changed
from lore.recall.text import (
    affordable,
    facts_first,
    fts_alternatives,
    identifiers,
    joined_identifiers,
    match_expression,
    shared_words,
    window_text,
    words,
)
from lore.recall.value import ValueParams, value
from lore.recall.vectors import DenseIndex, QueryVectors, Vector, VectorCache
from lore.store.base import RecallFilter, RecallRow, Store

EXPANSION_LINKS: tuple[LinkKind, ...] = ("membership", "hierarchical", "sibling", "related")
# Seeds of graph expansion: this many routing nodes the query matches, and this many top items.
ROUTING_SEEDS = 5
ITEM_SEEDS = 10
# A node linked to more than HUB_DEGREE nodes spreads less to each (sqrt(HUB_DEGREE / degree));
# one linked to more than MAX_DEGREE (a tag on everything) says too little to spread at all.
HUB_DEGREE = 10
MAX_DEGREE = 200
MAX_HOPS = 2
# At most this many nodes join the pool through the graph (the best reached).
GRAPH_DEPTH = 30
# Document counts of query terms are kept per term until the project's index changes.
TERM_CACHE_SIZE = 4096
# Ordering a window's events: what each query word an event holds adds to its cosine, per unit
# of the word's inverse document frequency among the answer's events (LoCoMo dev: recall within
# one event 0.376 -> 0.405; 0.01 and 0.04 gave 0.40 and 0.38).
EVENT_WORD_WEIGHT = 0.02


@dataclass(frozen=True, slots=True)
class Pool:
    """The fused candidates of one query."""

    fused: dict[int, float]
    cosine: dict[int, float]
    channels: dict[int, list[str]]
    # The query's identifiers, lower-cased: a node holding one gets the identifier bonus.
    identifiers: tuple[str, ...]


class HybridSearch:
    def __init__(
        self,
        store: Store,
        settings: RecallSettings,
        vectors: VectorCache,
        queries: QueryVectors | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.vectors = vectors
        self.queries = queries
        self.clock = clock
        self.params = ValueParams.of(settings)
        self._terms: dict[str, int] = {}
        self._terms_of: tuple[int, int] | None = None
        self._terms_lock = threading.Lock()

    def search(self, project_id: int, request: RecallRequest, mode_recipe: Recipe) -> list[Hit]:
        where = self._filter(request, mode_recipe)
        vector_of = self.queries.soon(request.query) if self.queries else None
        # Full text runs while the query is embedded (on the worker thread, when not cached).
        match = self._match(project_id, request.query)
        depth = self.settings.pool_depth
        lexical = self._lexical(project_id, match, where, depth)
        inside = self._substring(
            project_id, match_expression(joined_identifiers(request.query)), where, depth
        )
        query_vector = vector_of() if vector_of else None
        matrix = self.vectors.matrix(project_id) if query_vector is not None else None
        pool = self._pool(project_id, request.query, lexical, inside, query_vector, matrix, where)
        self._expand(project_id, match, query_vector, matrix, pool)
        kept, rows, scores = self._rank(project_id, pool, where, request, mode_recipe, matrix)
        views = self._answer_first(project_id, kept, rows, request.query, query_vector)
        repeated = {node_id for node_id, view in views.items() if view is None}
        kept = [node_id for node_id in kept if node_id not in repeated]
        if request.record_access and kept:
            self.store.graph.record_access(kept, self.clock())
        return [
            _hit(rows[node_id], scores[node_id], pool, node_id, request.query, views.get(node_id))
            for node_id in kept
        ]

    def _answer_first(
        self,
        project_id: int,
        kept: Sequence[int],
        rows: Mapping[int, RecallRow],
        query: str,
        query_vector: Vector | None,
    ) -> dict[int, WindowView | None]:
        """How each raw window of the results reads: its events most like the query first, each
        event once in the whole answer, so what an agent reads first is most often the answer
        and nothing is paid for twice. None: the window has no event a better result has not
        shown already."""
        windows = [node_id for node_id in kept if rows[node_id].kind == "source"]
        if not windows:
            return {}
        events = [event_id for node_id in windows for event_id in rows[node_id].event_ids]
        stored_events = self.store.events.get_many(events)
        chars = self.settings.window_event_chars
        lines = {event_id: event_line(event, chars) for event_id, event in stored_events.items()}
        likeness = self._event_cosines(project_id, events, query_vector)
        for event_id, shared in shared_words(
            query, {e: text for e, (_, text) in lines.items()}
        ).items():
            likeness[event_id] = likeness.get(event_id, 0.0) + EVENT_WORD_WEIGHT * shared
        shown: set[int] = set()
        views: dict[int, WindowView | None] = {}
        for node_id in windows:
            row = rows[node_id]
            order = sorted(row.event_ids, key=lambda event_id: -likeness.get(event_id, -2.0))
            fresh = [e for e in order if e not in shown and e in lines]
            shown.update(order)
            text = window_text(str(row.data.get("date") or ""), [lines[e] for e in fresh])
            views[node_id] = WindowView(fresh, text) if fresh else None
        return views

    def _event_cosines(
        self, project_id: int, events: Sequence[int], query_vector: Vector | None
    ) -> dict[int, float]:
        """The cosine of each event's own vector to the query (none without vectors)."""
        model = self.store.projects.get(project_id).embedding_model
        if not model or query_vector is None:
            return {}
        stored = self.store.vectors.of_events(events, model)
        return {event_id: float(vector @ query_vector) for event_id, vector in stored.items()}

    def _rank(
        self,
        project_id: int,
        pool: Pool,
        where: RecallFilter,
        request: RecallRequest,
        recipe: Recipe,
        matrix: DenseIndex | None,
    ) -> tuple[list[int], dict[int, RecallRow], dict[int, float]]:
        """The top ``limit`` after value weighting and de-duplication (one read of the pool's
        rows, which also drops what the filter does not admit)."""
        found = self.store.search.rows(project_id, list(pool.fused), where)
        rows = {row.id: row for row in found}

        def is_item(node_id: int) -> bool:
            return rows[node_id].kind in ITEM_KINDS

        scores = fusion.items_over_their_sources(
            self._scores(rows, pool, request, recipe),
            is_item,
            lambda node_id: rows[node_id].event_ids,
        )
        ranked = fusion.rank(scores)
        if matrix is not None and self.settings.supersede_window and asks_about_now(request.query):
            floor = self.settings.supersede_similarity
            ranked = fusion.current_first(
                ranked,
                scores,
                lambda node_id: rows[node_id].created_at,
                lambda earlier, later: (
                    says_it_changed(rows[later].body) and matrix.similarity(earlier, later) >= floor
                ),
                window=self.settings.supersede_window,
                ratio=self.settings.supersede_ratio,
            )
        kept = fusion.dedup_by_provenance(
            ranked,
            lambda node_id: rows[node_id].event_ids,
            self.settings.max_covered_share,
            limit=request.limit,
            distinct=is_item,
        )
        return kept, rows, scores

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

    def _match(self, project_id: int, query: str) -> str | None:
        """The full-text query: its alternatives the lexical budget affords."""
        alternatives = fts_alternatives(query)
        if not alternatives:
            return None
        budget = self.settings.lexical_budget
        if self.store.search.max_node_id() <= budget:
            return match_expression(alternatives)  # the whole index fits in the budget
        parts = {alternative: words(alternative) for alternative in alternatives}
        counts = self._counts(
            project_id, sorted({word for found in parts.values() for word in found})
        )
        costs = [
            sum(counts[word] for word in parts[alt]) if all(counts[w] for w in parts[alt]) else 0
            for alt in alternatives
        ]
        return match_expression(affordable(alternatives, costs, budget))

    def _counts(self, project_id: int, terms: Sequence[str]) -> dict[str, int]:
        """How many nodes each word matches (counted up to the lexical budget), remembered per
        word while the project's index holds."""
        state = (project_id, self.store.search.version(project_id))
        with self._terms_lock:
            if state != self._terms_of or len(self._terms) > TERM_CACHE_SIZE:
                self._terms, self._terms_of = {}, state
            missing = [term for term in terms if term not in self._terms]
        if missing:
            counts = self.store.search.match_counts(
                [match_expression([term]) or "" for term in missing], self.settings.lexical_budget
            )
            with self._terms_lock:
                self._terms.update(zip(missing, counts, strict=True))
        return {term: self._terms.get(term, 0) for term in terms}

    def _pool(
        self,
        project_id: int,
        query: str,
        lexical: dict[int, float],
        inside: dict[int, float],
        query_vector: Vector | None,
        matrix: DenseIndex | None,
        where: RecallFilter,
    ) -> Pool:
        dense: dict[int, float] = {}
        if query_vector is not None and matrix is not None and len(matrix):
            depth = self.settings.pool_depth
            dense = matrix.top(query_vector, depth, where.kinds, self._allowed(project_id, where))
        pooled = dense.keys() | lexical.keys() | inside.keys()
        cosine = dict(dense)
        if query_vector is not None and matrix is not None:
            cosine.update(matrix.cosines(query_vector, pooled - dense.keys()))
        fused = fusion.hybrid_scores(lexical, cosine, self.settings.dense_weight)
        channels: dict[int, list[str]] = {node_id: [] for node_id in pooled}
        for name, found in (("dense", dense), ("lexical", lexical), ("substring", inside)):
            for node_id in found:
                channels[node_id].append(name)
        for node_id in pooled:
            fused.setdefault(node_id, 0.0)
        named = tuple(ident.lower() for ident in identifiers(query))
        return Pool(fused, cosine, channels, named)

    def _allowed(self, project_id: int, where: RecallFilter) -> list[int] | None:
        """The ids a filter beyond kinds admits (None: the kinds are the whole filter)."""
        if where.only_kinds:
            return None
        return self.store.search.matching_ids(project_id, where)

    def _lexical(
        self, project_id: int, match: str | None, where: RecallFilter, depth: int
    ) -> dict[int, float]:
        if match is None:
            return {}
        return self.store.search.lexical(project_id, match, where, depth)

    def _substring(
        self, project_id: int, match: str | None, where: RecallFilter, depth: int
    ) -> dict[int, float]:
        if match is None:
            return {}
        return self.store.search.substring(project_id, match, where, depth)

    def _expand(
        self,
        project_id: int,
        match: str | None,
        query_vector: Vector | None,
        matrix: DenseIndex | None,
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
        matrix: DenseIndex | None,
    ) -> dict[int, float]:
        """Tags and intents the query names (full text) or means (cosine), scored 0..1."""
        where = RecallFilter(kinds=ROUTING_KINDS, hidden=())
        lexical = self._lexical(project_id, match, where, ROUTING_SEEDS)
        dense: dict[int, float] = {}
        if query_vector is not None and matrix is not None and len(matrix):
            dense = matrix.top(query_vector, ROUTING_SEEDS, ROUTING_KINDS)
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
            edges = self.store.search.neighbours(
                project_id, list(frontier), EXPANSION_LINKS, MAX_DEGREE
            )
            decay = self.settings.graph_hop_decay ** (hop - 1)
            spread = {
                node: frontier[node] * decay * min(1.0, math.sqrt(HUB_DEGREE / degree))
                for node, _, _, degree in edges
            }
            following: dict[int, float] = {}
            for src, dst, weight, _ in edges:
                score = spread[src] * (weight if weight < 1.0 else 1.0)
                if score > following.get(dst, 0.0):
                    following[dst] = score
            for node_id, score in following.items():
                if score > reached.get(node_id, 0.0):
                    reached[node_id] = score
            frontier = dict(_best(following, GRAPH_DEPTH))
        return reached

    def _scores(
        self,
        rows: Mapping[int, RecallRow],
        pool: Pool,
        request: RecallRequest,
        recipe: Recipe,
    ) -> dict[int, float]:
        """Final scores of the rows that pass the similarity gate."""
        now = self.clock()
        gate = self.settings.min_similarity
        if request.min_similarity is not None:
            gate = request.min_similarity
        scores: dict[int, float] = {}
        for node_id, row in rows.items():
            exact = bool(pool.identifiers) and holds_identifier(row, pool.identifiers)
            if not (exact or gate <= 0 or pool.cosine.get(node_id, -1.0) >= gate):
                continue
            relevance = pool.fused[node_id]
            if exact:
                relevance += self.settings.identifier_weight
                pool.channels[node_id].append("identifier")
            weight = recipe.weight(row.kind, request.include_events)
            boost = 1.0
            if request.active_files and about_files(row, request.active_files):
                boost += self.settings.active_files_boost
            scores[node_id] = relevance * value(row, now, self.params) * weight * boost
        return scores


def _best(scores: Mapping[int, float], count: int) -> list[tuple[int, float]]:
    return [(node_id, scores[node_id]) for node_id in fusion.rank(scores)[:count]]


def holds_identifier(row: RecallRow, identifiers: Sequence[str]) -> bool:
    """Whether the node's text or files hold one of the (lower-cased) identifiers as written."""
    text = f"{row.title}\n{row.body}\n{row.files_json}".lower()
    return any(identifier in text for identifier in identifiers)


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


@dataclass(frozen=True, slots=True)
class WindowView:
    """A raw window as an answer shows it: its events in the order read, and their text."""

    event_ids: list[int]
    text: str


def _hit(
    row: RecallRow,
    score: float,
    pool: Pool,
    node_id: int,
    query: str,
    view: WindowView | None = None,
) -> Hit:
    return Hit(
        id=row.id,
        kind=row.kind,
        type=row.type,
        title=row.title or _window_title(row),
        text=view.text if view else facts_first(row.body, query),
        score=round(score, 6),
        relevance=round(pool.cosine.get(node_id, 0.0), 6),
        schema_key=row.schema_key,
        files=row.files,
        tags=row.tags,
        event_ids=view.event_ids if view else list(row.event_ids),
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
