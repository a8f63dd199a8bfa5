"""The enrichment pipeline: durable jobs of five stages (Enrich, Deep Enrich, Embed, Dedup, Drift
Check) run by workers that claim them with a lease."""

from lore.pipeline.service import Pipeline

__all__ = ["Pipeline"]
