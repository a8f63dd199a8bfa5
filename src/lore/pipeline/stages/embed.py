"""Embed: vectors for the changeset's new nodes, in batches, kept with the job's state.

Every draft but tags gets a vector (items, and the steps, subgoals, intents and sources of
trajectories), from the same text ``reembed`` uses. The vectors travel with the changeset: Dedup
compares them with the stored items', and the commit stores them with the new nodes. A project
embedded with another model fails here, naming both models, instead of mixing vectors.
"""

from __future__ import annotations

from lore.domain.graph import NodeDraft
from lore.pipeline.context import PipelineState, StageContext, StageResult
from lore.providers.embeddings import embedding_text, ensure_project_embedding

SKIPPED_KINDS = ("tag",)


def run(ctx: StageContext, state: PipelineState) -> StageResult:
    embedder = ctx.providers.embedder
    todo = [draft for draft in state.changeset.nodes if _wanted(draft, state)]
    if embedder is None or not todo:
        return StageResult(state=state, note="nothing new to embed")
    ensure_project_embedding(ctx.store, ctx.project, embedder)
    matrix = embedder.embed([embedding_text(draft.title, draft.body) for draft in todo])
    state = state.with_vectors(embedder.model, [draft.ref for draft in todo], matrix)
    return StageResult(state=state, items=len(todo), note=f"{len(todo)} vectors ({embedder.model})")


def _wanted(draft: NodeDraft, state: PipelineState) -> bool:
    return (
        draft.kind not in SKIPPED_KINDS
        and draft.merge_into is None
        and draft.ref not in state.vectors
        and bool(draft.title or draft.body)
    )
