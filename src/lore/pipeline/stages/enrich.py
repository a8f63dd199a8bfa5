"""Enrich: the session's events not yet enriched become memory items (drafts in the changeset)."""

from __future__ import annotations

from lore.pipeline.context import PipelineState, StageContext, StageResult


def run(ctx: StageContext, state: PipelineState) -> StageResult:
    events = ctx.store.events.unenriched(ctx.job.session_id)
    state = state.model_copy(update={"event_ids": [event.id for event in events]})
    return StageResult(state=state, items=len(state.changeset.items))
