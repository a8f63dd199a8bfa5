"""The five stages, one module each, all ``run(ctx, state) -> StageResult``, in run order."""

from __future__ import annotations

from lore.pipeline.context import Stage
from lore.pipeline.stages import dedup, deep_enrich, drift, embed, enrich

STAGE_FUNCTIONS: dict[str, Stage] = {
    "enrich": enrich.run,
    "deep_enrich": deep_enrich.run,
    "embed": embed.run,
    "dedup": dedup.run,
    "drift": drift.run,
}

__all__ = ["STAGE_FUNCTIONS"]
