"""Embed: vectors for the changeset's new nodes, in batches, kept with the job's state; and the
recall index of the job's raw events.

Every draft but tags gets a vector (items, and the steps, subgoals, intents and sources of
trajectories), from the same text ``reembed`` uses. The vectors travel with the changeset: Dedup
compares them with the stored items', and the commit stores them with the new nodes. The job's
events are also indexed as episode windows (``lore.recall.index_events``) unless
``pipeline.event_windows`` is off. A project embedded with another model fails here, naming
both models, instead of mixing vectors.
"""

from __future__ import annotations

import numpy as np

from lore.domain.graph import NodeDraft
from lore.pipeline.context import PipelineState, StageContext, StageResult
from lore.providers.embeddings import Embedder, embedding_text, ensure_project_embedding
from lore.recall import index_events

SKIPPED_KINDS = ("tag",)


def run(ctx: StageContext, state: PipelineState) -> StageResult:
    embedder = ctx.providers.embedder
    todo = [draft for draft in state.changeset.nodes if _wanted(draft, state)]
    windows = _index_windows(ctx, state, embedder)
    if embedder is None or not todo:
        return StageResult(state=state, note=f"nothing new to embed{windows}")
    ensure_project_embedding(ctx.store, ctx.project, embedder)
    texts = [embedding_text(draft.title, draft.body) for draft in todo]
    unique = list(dict.fromkeys(texts))  # a text repeated in the changeset is embedded once
    vectors = dict(zip(unique, embedder.embed(unique), strict=True))
    matrix = np.stack([vectors[text] for text in texts])
    state = state.with_vectors(embedder.model, [draft.ref for draft in todo], matrix)
    note = f"{len(todo)} vectors ({embedder.model}){windows}"
    return StageResult(state=state, items=len(todo), note=note)


def _index_windows(ctx: StageContext, state: PipelineState, embedder: Embedder | None) -> str:
    """Episode windows over the job's events, with their vectors, for raw-event recall
    (``lore.recall.index_events``; idempotent, so a retried stage redoes nothing)."""
    if embedder is None or not state.event_ids or not ctx.settings.pipeline.event_windows:
        return ""
    recall = ctx.settings.recall
    result = index_events(
        ctx.store,
        embedder,
        ctx.project,
        ctx.job.session_id,
        state.event_ids,
        radius=recall.window_radius,
        max_chars=recall.window_event_chars,
    )
    return f"; {result.windows} event windows" if result.windows else ""


def _wanted(draft: NodeDraft, state: PipelineState) -> bool:
    return (
        draft.kind not in SKIPPED_KINDS
        and draft.merge_into is None
        and draft.ref not in state.vectors
        and bool(draft.title or draft.body)
    )
