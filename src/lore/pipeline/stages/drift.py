"""drift: not built yet; passes the changeset on unchanged."""

from __future__ import annotations

from lore.pipeline.context import PipelineState, StageContext, StageResult


def run(ctx: StageContext, state: PipelineState) -> StageResult:
    return StageResult(state=state, skipped=True, note="not built yet")
