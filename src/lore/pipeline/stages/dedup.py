"""Dedup: knowledge seen again reinforces what is stored instead of being added twice.

In order, for every new item draft:
1. Duplicates inside the changeset (same normalised content or dedup hint, or a cosine of at
   least ``pipeline.dedup_near_threshold``) fold into the first of them.
2. Exact duplicates of stored items (same normalised content hash, or same dedup hint) are
   repeats of the oldest such item; a draft with the item's dedup hint whose content differs (not
   near) is a new version of the same subject and supersedes it.
3. Near duplicates (cosine at or above the threshold) are repeats of the stored item, unless the
   two contradict each other (one negates what the other states, or they give different numbers
   or versions): then the newer supersedes the older.
A repeat is committed like any item, then folded into the older one
(``ItemMatchStore.fold_merges``, right after the commit and again at the next Dedup): the older
item lists it in ``merged_from``, gains its evidence, confidence and ``last_reinforced_at``,
and the repeat's validity ends. A supersede closes the older item's validity interval. Nothing
is deleted. Only items of one kind and type are compared. The threshold and how it was chosen
are in ``docs/pipeline.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from lore.domain.graph import (
    ITEM_KINDS,
    Changeset,
    LinkDraft,
    Node,
    NodeDraft,
    content_hash,
)
from lore.pipeline.context import PipelineState, StageContext, StageResult

_NEGATION = re.compile(
    r"\b(not|never|no longer|don'?t|do not|doesn'?t|does not|isn'?t|avoid|stop|without|"
    r"instead of|rather than|deprecated|removed?)\b",
    re.I,
)
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
# data["dedup"]["action"] of a draft that repeats a stored item, and of one that replaces it.
MERGE = "merge"
SUPERSEDE = "supersede"


def run(ctx: StageContext, state: PipelineState) -> StageResult:
    # Repeats committed by earlier jobs whose fold a crash interrupted are settled first.
    ctx.store.item_matches.fold_merges(ctx.job.project_id, ctx.clock())
    if not state.changeset.items:
        return StageResult(state=state, note="no new items")
    work = _Work(
        state,
        ctx.settings.pipeline.dedup_near_threshold,
        nodes_by_id=ctx.store.graph.get_many,
        vectors_by_id=ctx.store.vectors.get,
    )
    work.fold_within()
    if ctx.settings.pipeline.dedup_exact:
        work.match_exact(ctx.store.item_matches.exact(ctx.job.project_id, *work.keys()))
    if state.embedding_model:
        ids, matrix = ctx.store.vectors.all_for_project(
            ctx.job.project_id, ITEM_KINDS, model=state.embedding_model
        )
        work.match_near(ids, matrix)
    state = work.result()
    counts = work.counts
    for name, amount in counts.items():
        state.count(name, amount)
    note = ", ".join(f"{amount} {name.replace('_', ' ')}" for name, amount in counts.items())
    return StageResult(state=state, items=sum(counts.values()), note=note or "no duplicates")


def contradicts(new: str, old: str) -> bool:
    """Whether two texts about the same thing disagree: one negates, or their numbers differ."""
    if bool(_NEGATION.search(new)) != bool(_NEGATION.search(old)):
        return True
    new_numbers, old_numbers = set(_NUMBER.findall(new)), set(_NUMBER.findall(old))
    return bool(new_numbers and old_numbers and new_numbers != old_numbers)


def _same_sort(a: NodeDraft | Node, b: NodeDraft | Node) -> bool:
    """Only items of one kind and type can be the same knowledge (a fixed bug is not a todo)."""
    return a.kind == b.kind and a.type == b.type


def _text(draft: NodeDraft | Node) -> str:
    return f"{draft.title}\n{draft.body}"


@dataclass
class _Work:
    """The drafts being deduplicated, and what was done to them."""

    state: PipelineState
    threshold: float
    nodes_by_id: Callable[[Sequence[int]], list[Node]]
    vectors_by_id: Callable[[Sequence[int]], dict[int, NDArray[np.float32]]]
    nodes: list[NodeDraft] = field(init=False)
    links: list[LinkDraft] = field(init=False)
    counts: dict[str, int] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.nodes = list(self.state.changeset.nodes)
        self.links = list(self.state.changeset.links)

    def open_items(self) -> Iterator[tuple[int, NodeDraft]]:
        """Item drafts not yet merged or superseding anything, with their index."""
        for index, draft in enumerate(self.nodes):
            unmarked = draft.merge_into is None and draft.supersedes is None
            if draft.kind in ITEM_KINDS and unmarked and "dedup" not in draft.data:
                yield index, draft

    def keys(self) -> tuple[list[str], list[str]]:
        drafts = [draft for _, draft in self.open_items()]
        hashes = [content_hash(d.kind, d.title, d.body) for d in drafts]
        return hashes, [d.dedup_hint for d in drafts if d.dedup_hint]

    def fold_within(self) -> None:
        """Fold each draft into the first earlier one that holds the same knowledge: the same
        content, the same dedup hint, or a vector at the threshold without contradiction. Keys
        are computed once and vectors compared in one product a draft, so a job of thousands
        of items stays fast."""
        drafts = [draft for _, draft in self.open_items()]
        vectors = [self.state.vector(draft.ref) for draft in drafts]
        dim = max((len(v) for v in vectors if v is not None), default=0)
        matrix = np.zeros((len(drafts), dim), dtype=np.float32)  # kept drafts' vectors, in order
        kept: list[NodeDraft] = []
        by_key: dict[str, list[int]] = {}
        for draft, vector in zip(drafts, vectors, strict=True):
            keys = [content_hash(draft.kind, draft.title, draft.body)]
            keys += [f"hint:{draft.dedup_hint}"] if draft.dedup_hint else []
            exact = {index for key in keys for index in by_key.get(key, [])}
            near: set[int] = set()
            if vector is not None and len(vector) == dim and kept:
                scores = matrix[: len(kept)] @ vector
                near = set(np.nonzero(scores >= self.threshold)[0].tolist())
            twin = next(
                (
                    index
                    for index in sorted(exact | near)
                    if _same_sort(draft, kept[index])
                    and (index in exact or not contradicts(_text(draft), _text(kept[index])))
                ),
                None,
            )
            if twin is not None:
                self._fold(draft, kept[twin])
                self._count("folded_in_changeset")
                continue
            for key in keys:
                by_key.setdefault(key, []).append(len(kept))
            if vector is not None and len(vector) == dim:
                matrix[len(kept)] = vector
            kept.append(draft)

    def match_exact(self, stored: list[Node]) -> None:
        by_hash = {node.content_hash: node for node in reversed(stored)}
        by_hint = {node.dedup_hint: node for node in reversed(stored) if node.dedup_hint}
        for index, draft in list(self.open_items()):
            same = by_hash.get(content_hash(draft.kind, draft.title, draft.body))
            if same is not None and _same_sort(draft, same):
                self._mark(index, merge_into=same.id, reason="same content", similarity=1.0)
                continue
            hinted = by_hint.get(draft.dedup_hint) if draft.dedup_hint else None
            if hinted is None or not _same_sort(draft, hinted):
                continue
            similarity = self._similarity_to(draft, hinted)
            if similarity >= self.threshold and not contradicts(_text(draft), _text(hinted)):
                self._mark(
                    index, merge_into=hinted.id, reason="same subject", similarity=similarity
                )
            else:
                self._mark(
                    index,
                    supersedes=hinted.id,
                    reason="same subject, new content",
                    similarity=similarity,
                )

    def match_near(self, ids: NDArray[np.int64], matrix: NDArray[np.float32]) -> None:
        if not len(ids):
            return
        candidates: list[tuple[int, int, float]] = []
        for index, draft in self.open_items():
            vector = self.state.vector(draft.ref)
            if vector is None or len(vector) != matrix.shape[1]:
                continue
            scores = matrix @ vector
            best = int(np.argmax(scores))
            if scores[best] >= self.threshold:
                candidates.append((index, int(ids[best]), float(scores[best])))
        if not candidates:
            return
        stored = {node.id: node for node in self.nodes_by_id([c[1] for c in candidates])}
        for index, node_id, similarity in candidates:
            node = stored.get(node_id)
            draft = self.nodes[index]
            if node is None or node.valid_to is not None or not _same_sort(draft, node):
                continue
            if contradicts(_text(draft), _text(node)):
                self._mark(index, supersedes=node.id, reason="contradicts", similarity=similarity)
            else:
                self._mark(
                    index, merge_into=node.id, reason="near duplicate", similarity=similarity
                )

    def result(self) -> PipelineState:
        links = [
            link.model_copy(update={"src": self._renamed(link.src), "dst": self._renamed(link.dst)})
            for link in self.links
        ]
        changeset: Changeset = self.state.changeset.model_copy(
            update={"nodes": self.nodes, "links": links}
        )
        vectors = {ref: v for ref, v in self.state.vectors.items() if ref not in self.renamed}
        return self.state.model_copy(update={"changeset": changeset, "vectors": vectors})

    def _fold(self, draft: NodeDraft, into: NodeDraft) -> None:
        """Move ``draft``'s evidence, files and tags onto ``into`` and drop ``draft``."""
        into = next(node for node in self.nodes if node.ref == into.ref)  # with earlier folds
        seen = {(e.event_id, e.quote) for e in into.evidence}
        evidence = [
            *into.evidence,
            *(e for e in draft.evidence if (e.event_id, e.quote) not in seen),
        ]
        merged = into.model_copy(
            update={
                "evidence": evidence,
                "files": sorted(set(into.files) | set(draft.files)),
                "tags": sorted(set(into.tags) | set(draft.tags)),
                "confidence": max(into.confidence or 0.0, draft.confidence or 0.0),
            }
        )
        self.nodes = [merged if n.ref == into.ref else n for n in self.nodes if n.ref != draft.ref]
        self.renamed[draft.ref] = into.ref

    def _mark(
        self,
        index: int,
        *,
        reason: str,
        similarity: float,
        merge_into: int | None = None,
        supersedes: int | None = None,
    ) -> None:
        """Record what to do with a draft that repeats or contradicts a stored item. A repeat
        is still stored, then folded into the older item once committed
        (``ItemMatchStore.fold_merges``), so the older item's ``merged_from`` names it."""
        draft = self.nodes[index]
        record = {
            "action": MERGE if merge_into is not None else SUPERSEDE,
            "node": merge_into if merge_into is not None else supersedes,
            "reason": reason,
            "similarity": round(similarity, 4),
        }
        self.nodes[index] = draft.model_copy(
            update={"supersedes": supersedes, "data": {**draft.data, "dedup": record}}
        )
        self._count("merged" if merge_into is not None else "superseded")

    def _renamed(self, end: str | int) -> str | int:
        return self.renamed.get(end, end) if isinstance(end, str) else end

    def _similarity_to(self, draft: NodeDraft, node: Node) -> float:
        """Cosine of the draft's vector and the stored node's; 0 when either is missing."""
        mine = self.state.vector(draft.ref)
        theirs = self.vectors_by_id([node.id]).get(node.id)
        if mine is None or theirs is None or len(mine) != len(theirs):
            return 0.0
        return float(mine @ theirs)

    def _count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1
