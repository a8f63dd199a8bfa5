"""``Recall``: the one recall service every surface uses (Python, REST, CLI, MCP).

It owns what must live as long as the process: the embedder (kept warm), the LRU of query
vectors, each project's cached vector matrix, and the LLM when one is configured.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from lore.config import Settings
from lore.domain import Project
from lore.domain.graph import ITEM_STATUSES, ITEM_TYPES
from lore.errors import NotConfiguredError, ValidationError
from lore.providers.embeddings import Embedder, build_embedder
from lore.recall.ask import ask
from lore.recall.brain import brain_etag, build_brain
from lore.recall.context_pack import build_context_pack, hits_for
from lore.recall.models import (
    MODES,
    SCOPES,
    Answer,
    Brain,
    ContextPack,
    Hit,
    Mode,
    RecallRequest,
    Scope,
    good_match,
)
from lore.recall.modes import RECIPES, classify_query
from lore.recall.search import HybridSearch
from lore.recall.tokens import cut_to_tokens
from lore.recall.vectors import QueryVectors, Vector, VectorCache
from lore.store.base import Store

if TYPE_CHECKING:
    from lore.providers.llm import LLM

log = logging.getLogger("lore.recall")

# Queries are embedded on one thread, beside the full-text channels on the other core: on this
# machine's two busy cores that cut new-query recall at 10,000 items from p50 24 / p95 38 ms
# (two threads) to 15 / 20 ms.
QUERY_THREADS = 1
MAX_LIMIT = 200
# A token budget: at most this much, filled from this many candidates.
MAX_BUDGET = 200_000
BUDGET_CANDIDATES = 50
# The least room a hit is cut to, to fill a budget: less reads as a fragment.
MIN_CUT = 32
MAX_QUERY_CHARS = 4000
ASK_HITS = 8
TimeLike = float | int | datetime | str


class Recall:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        llm: LLM | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.vectors = VectorCache(
            store, settings.home / "vectors", settings.recall.ann_min_vectors
        )
        self._embedder = embedder
        self._owns_embedder = False
        self._llm = llm
        self._llm_built = llm is not None
        self._lock = threading.Lock()
        self._queries = QueryVectors(self._embed, settings.recall.query_cache_size)
        self.engine = HybridSearch(store, settings.recall, self.vectors, self._queries)

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = build_embedder(self.settings, threads=QUERY_THREADS)
                self._owns_embedder = True
            return self._embedder

    @property
    def llm(self) -> LLM | None:
        """The configured LLM, built on first use; None offline."""
        with self._lock:
            if not self._llm_built:
                from lore.providers.llm import build_llm

                self._llm = build_llm(self.settings)
                self._llm_built = True
            return self._llm

    def close(self) -> None:
        """Close the connections of what this service built: the LLM, and a hosted embedder
        (the local one is shared by the process and stays loaded)."""
        with self._lock:
            llm, self._llm, self._llm_built = self._llm, None, False
            built = self._embedder if self._owns_embedder else None
        self._queries.close()
        if llm is not None:
            llm.close()
        closer = getattr(built, "close", None)
        if callable(closer):
            closer()

    def warm(self) -> None:
        """Load the embedding model now instead of on the first query."""
        self._queries("warm up")

    def good_match(self, hits: Sequence[Hit]) -> bool:
        """Whether the hits hold a match worth reading (``recall.good_match_similarity``)."""
        return good_match(hits, self.settings.recall.good_match_similarity)

    def search(self, project: Project, request: RecallRequest) -> list[Hit]:
        _check(request)
        mode = request.mode or self.classify(request.query)
        engine = self.engine if self._dense_usable(project) else self._lexical_engine
        if request.max_tokens is None:
            return engine.search(project.id, request, RECIPES[mode])
        candidates = dataclasses.replace(request, limit=BUDGET_CANDIDATES)
        return within_budget(
            engine.search(project.id, candidates, RECIPES[mode]), request.max_tokens
        )

    def classify(self, query: str) -> Mode:
        llm = self.llm if self.settings.recall.classify_with_llm else None
        return classify_query(query, llm)

    def brain(
        self, project: Project, *, compact: bool = True, active_files: Sequence[str] = ()
    ) -> Brain:
        return build_brain(
            self.store, self.settings.recall, project, compact=compact, active_files=active_files
        )

    def brain_etag(
        self, project: Project, *, compact: bool = True, active_files: Sequence[str] = ()
    ) -> str:
        return brain_etag(
            self.store, self.settings.recall, project, compact=compact, active_files=active_files
        )

    def context_pack(
        self, project: Project, task: str, *, budget: int | None = None, scope: Scope = "relevant"
    ) -> ContextPack:
        if scope not in SCOPES:
            raise ValidationError(f"scope must be one of {', '.join(SCOPES)}", "scope")
        budget = self.settings.recall.context_pack_tokens if budget is None else budget
        if budget < 100:
            raise ValidationError("budget must be at least 100 tokens", "budget")
        hits = self.search(project, RecallRequest(query=task, limit=hits_for(scope)))
        brain = self.brain(project, compact=True)
        return build_context_pack(
            project.name,
            task,
            hits,
            brain.layers[0],
            brain.layers[1],
            budget=budget,
            scope=scope,
        )

    def ask(self, project: Project, question: str) -> Answer:
        llm = self.llm
        if llm is None:
            raise NotConfiguredError(
                "ask needs an LLM: set llm.provider and llm.model (recall, brain and context"
                " packs work without one)"
            )
        hits = self.search(project, RecallRequest(query=question, limit=ASK_HITS))
        return ask(llm, question, hits)

    def _embed(self, texts: Sequence[str]) -> Vector:
        return self.embedder.embed(texts)

    def _dense_usable(self, project: Project) -> bool:
        """Vectors exist and come from the configured model (else full text alone answers).
        The project is read again: a caller's copy may predate its first vectors."""
        project = self.store.projects.get(project.id)
        if project.embedding_model is None:
            return False
        if project.embedding_model != self.settings.embedding.model:
            log.warning(
                "project %s is embedded with %s, not the configured %s: recall uses full text"
                " only until `lore reembed`",
                project.name,
                project.embedding_model,
                self.settings.embedding.model,
            )
            return False
        return True

    @functools.cached_property
    def _lexical_engine(self) -> HybridSearch:
        """The engine for projects whose vectors cannot be compared with the query's."""
        return HybridSearch(self.store, self.settings.recall, self.vectors, None)


def recall_request(
    query: str,
    *,
    mode: str | None = None,
    limit: int = 10,
    types: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    schema_key: str | None = None,
    tags: Sequence[str] | None = None,
    files: Sequence[str] | None = None,
    since: TimeLike | None = None,
    until: TimeLike | None = None,
    min_similarity: float | None = None,
    max_tokens: int | None = None,
    active_files: Sequence[str] | None = None,
    include_events: bool | None = None,
) -> RecallRequest:
    """A request from the loose arguments of the surfaces, validated."""
    if mode is not None and mode not in MODES:
        raise ValidationError(f"mode must be one of {', '.join(MODES)} (got {mode!r})", "mode")
    return RecallRequest(
        query=query,
        mode=mode,
        limit=limit,
        types=_known(types, ITEM_TYPES, "types"),
        statuses=_known(statuses, ITEM_STATUSES, "statuses"),
        schema_key=schema_key or None,
        tags=tuple(tags or ()),
        files=tuple(files or ()),
        since=timestamp(since, "since"),
        until=timestamp(until, "until"),
        min_similarity=min_similarity,
        max_tokens=max_tokens,
        active_files=tuple(active_files or ()),
        include_events=include_events,
    )


def timestamp(value: TimeLike | None, field: str) -> float | None:
    """UNIX seconds from seconds, a datetime, or an ISO 8601 date or time."""
    if value is None or isinstance(value, float | int):
        return None if value is None else float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        try:
            return float(value)
        except ValueError:
            raise ValidationError(
                f"{field} must be a date or time (ISO 8601) or UNIX seconds", field
            ) from None


def _known(values: Sequence[str] | None, allowed: Sequence[str], field: str) -> tuple[str, ...]:
    for value in values or ():
        if value not in allowed:
            raise ValidationError(
                f"{field} must be among {', '.join(allowed)} (got {value!r})", field
            )
    return tuple(values or ())


def _check(request: RecallRequest) -> None:
    if not request.query.strip():
        raise ValidationError("the query is empty", "query")
    if len(request.query) > MAX_QUERY_CHARS:
        raise ValidationError(f"the query is longer than {MAX_QUERY_CHARS} characters", "query")
    if not 1 <= request.limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be within 1..{MAX_LIMIT}", "limit")
    if request.min_similarity is not None and not -1.0 <= request.min_similarity <= 1.0:
        raise ValidationError("min_similarity must be within -1..1", "min_similarity")
    if request.max_tokens is not None and not 1 <= request.max_tokens <= MAX_BUDGET:
        raise ValidationError(f"max_tokens must be within 1..{MAX_BUDGET}", "max_tokens")


def within_budget(hits: Sequence[Hit], max_tokens: int) -> list[Hit]:
    """The hits that fit in ``max_tokens``, best first. One that does not fit is cut to the room
    left when that room is worth reading (``MIN_CUT`` tokens; a window leads with what matched,
    so its head is what counts), which fills the budget; otherwise it is passed over for later,
    shorter ones. When not even the best fits, it comes back cut to the budget: never nothing
    for want of room. A cut hit ends with a marker and carries its whole cost in
    ``full_tokens``."""
    kept: list[Hit] = []
    left = max_tokens
    for hit in hits:
        if hit.tokens <= left:
            kept.append(hit)
            left -= hit.tokens
        elif left >= MIN_CUT or not kept:
            kept.append(_cut(hit, left))
            break
    return kept


def _cut(hit: Hit, max_tokens: int) -> Hit:
    field = "text" if hit.text else "title"
    cut = cut_to_tokens(getattr(hit, field), max_tokens)
    return hit.model_copy(update={field: cut, "full_tokens": hit.tokens})


__all__ = ["Recall", "recall_request", "timestamp"]
