"""Getting a stored changeset ready for the graph: vectors for drafts that have none, and intents
merged with the project's (raw cosine above ``intent_merge_threshold`` merges, an LLM rewriting
the description when one is configured; above ``intent_identical_threshold`` the intents are the
same and the stored description stays)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lore.domain import Session
from lore.domain.episodes import EpisodeStatus
from lore.domain.graph import Changeset, LinkDraft, NodeDraft
from lore.errors import ProviderError
from lore.extraction import prompts_trajectory as prompts
from lore.extraction.trajectory import StructuredLLM, ask, embedding_texts
from lore.providers.embeddings import Embedder
from lore.sessions.config import SessionConfig
from lore.sessions.events import SessionEvent
from lore.store.base import Store

log = logging.getLogger("lore.sessions")

Vectors = dict[str, NDArray[np.float32]]


@dataclass(frozen=True, slots=True)
class PreparedCommit:
    changeset: Changeset
    vectors: Vectors
    embedding_model: str | None
    stored_id: int | None = None


def prepare(
    changeset: Changeset,
    vectors: Mapping[str, NDArray[np.float32]],
    model: str | None,
    *,
    store: Store,
    project_id: int,
    embedder: Embedder,
    llm: StructuredLLM | None,
    config: SessionConfig,
) -> PreparedCommit:
    """The changeset with its intents merged, and a vector for every draft recall searches
    (made here when extraction did not make it, and the model is the session's)."""
    ready: Vectors = {ref: np.asarray(row, dtype=np.float32) for ref, row in vectors.items()}
    model = model or embedder.model
    if model == embedder.model:
        _embed_missing(changeset, ready, embedder)
    merger = _IntentMerger(store, project_id, model, embedder, llm, config)
    merged = merger.merge(changeset, ready)
    return PreparedCommit(merged, ready, model if ready else None)


def apply_commits(
    store: Store, session: Session, prepared: list[PreparedCommit]
) -> list[SessionEvent]:
    """Apply prepared changesets to the graph inside the caller's transaction, marking each
    stored one applied; returns the events to send once the transaction has committed."""
    events, items = [], 0
    for commit in prepared:
        applied = store.graph.apply(
            session.project_id,
            commit.changeset,
            vectors=commit.vectors,
            embedding_model=commit.embedding_model,
        )
        assert commit.stored_id is not None
        store.changesets.mark(commit.stored_id, "applied")
        count = len(commit.changeset.items)
        items += count
        data = {
            "changeset_id": commit.stored_id,
            "node_ids": applied.created,
            "merged": applied.merged,
            "items": count,
        }
        events.append(SessionEvent("changeset_applied", session.id, session.project_id, data))
    current = store.sessions.get(session.id)
    store.sessions.record_items(session.id, current.items_extracted + items)
    return events


def end_episode(store: Store, session_id: int, status: EpisodeStatus) -> None:
    """Close the session's latest episode for good (committed or discarded)."""
    episode = store.episodes.latest(session_id)
    if episode is not None and episode.status in (EpisodeStatus.OPEN, EpisodeStatus.CLOSED):
        store.episodes.close(episode.id)
        store.episodes.set_status(episode.id, status)


def _embed_missing(changeset: Changeset, vectors: Vectors, embedder: Embedder) -> None:
    refs, texts = embedding_texts(changeset)
    missing = [(ref, text) for ref, text in zip(refs, texts, strict=True) if ref not in vectors]
    if missing:
        matrix = embedder.embed([text for _, text in missing])
        vectors.update({ref: row for (ref, _), row in zip(missing, matrix, strict=True)})


class _IntentMerger:
    def __init__(
        self,
        store: Store,
        project_id: int,
        model: str,
        embedder: Embedder,
        llm: StructuredLLM | None,
        config: SessionConfig,
    ) -> None:
        self.store = store
        self.project_id = project_id
        self.model = model
        self.embedder = embedder
        self.llm = llm
        self.merge_at = config.intent_merge_threshold
        self.same_at = config.intent_identical_threshold

    def merge(self, changeset: Changeset, vectors: Vectors) -> Changeset:
        ids, matrix = self.store.vectors.all_for_project(
            self.project_id, ["intent"], model=self.model
        )
        nodes: list[NodeDraft] = []
        kept: list[tuple[str, NDArray[np.float32]]] = []  # new intents of this changeset
        aliases: dict[str, str] = {}
        for draft in changeset.nodes:
            vector = vectors.get(draft.ref)
            if draft.kind != "intent" or draft.merge_into is not None or vector is None:
                nodes.append(draft)
                continue
            stored_id, stored_similarity = _best(ids, matrix, vector)
            sibling, sibling_similarity = _best_new(kept, vector)
            if sibling is not None and sibling_similarity > max(self.merge_at, stored_similarity):
                aliases[draft.ref] = sibling
                vectors.pop(draft.ref)
            elif stored_id is not None and stored_similarity > self.merge_at:
                nodes.append(self._fold(draft, stored_id, stored_similarity, vectors))
            else:
                nodes.append(draft)
                kept.append((draft.ref, vector))
        links = [_renamed(link, aliases) for link in changeset.links]
        return changeset.model_copy(update={"nodes": nodes, "links": links})

    def _fold(
        self, draft: NodeDraft, stored_id: int, similarity: float, vectors: Vectors
    ) -> NodeDraft:
        existing = self.store.graph.get(stored_id)
        description = existing.title
        if similarity <= self.same_at and self.llm is not None:
            description = self._rewrite(existing.title, draft.title)
        if description != existing.title and self.model == self.embedder.model:
            vectors[draft.ref] = self.embedder.embed([description])[0]
        else:
            vectors.pop(draft.ref)  # the stored vector still describes it (or is the only kind)
        return draft.model_copy(
            update={"merge_into": stored_id, "title": description, "body": existing.body}
        )

    def _rewrite(self, existing: str, new: str) -> str:
        assert self.llm is not None
        try:
            answer = ask(
                self.llm,
                prompts.merge_intent_messages(existing, new),
                prompts.MergedIntent,
                "merge_intent",
            )
        except ProviderError as exc:
            log.warning("intent description kept: the merge rewrite failed: %s", exc)
            return existing
        return answer.description.strip() or existing


def _best(
    ids: NDArray[np.int64], matrix: NDArray[np.float32], vector: NDArray[np.float32]
) -> tuple[int | None, float]:
    if len(ids) == 0:
        return None, -1.0
    similarities = _cosines(matrix, vector)
    best = int(np.argmax(similarities))
    return int(ids[best]), float(similarities[best])


def _best_new(
    kept: list[tuple[str, NDArray[np.float32]]], vector: NDArray[np.float32]
) -> tuple[str | None, float]:
    if not kept:
        return None, -1.0
    similarities = _cosines(np.vstack([v for _, v in kept]), vector)
    best = int(np.argmax(similarities))
    return kept[best][0], float(similarities[best])


def _cosines(matrix: NDArray[np.float32], vector: NDArray[np.float32]) -> NDArray[np.float32]:
    """Raw cosine of each row with ``vector`` (rows need not be unit length)."""
    norms = np.linalg.norm(matrix, axis=1) * float(np.linalg.norm(vector))
    result: NDArray[np.float32] = (matrix @ vector) / np.maximum(norms, 1e-12)
    return result


def _renamed(link: LinkDraft, aliases: dict[str, str]) -> LinkDraft:
    src = aliases.get(link.src, link.src) if isinstance(link.src, str) else link.src
    dst = aliases.get(link.dst, link.dst) if isinstance(link.dst, str) else link.dst
    return (
        link
        if (src, dst) == (link.src, link.dst)
        else link.model_copy(update={"src": src, "dst": dst})
    )
