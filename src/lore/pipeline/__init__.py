"""The enrichment pipeline: durable jobs of five stages (Enrich, Deep Enrich, Embed, Dedup, Drift
Check) run by workers that claim them with a lease.

``lore.pipeline.jobs.JobManager`` queues jobs (light to import: capture uses it for auto-learn);
``lore.pipeline.service.Pipeline`` runs them.
"""
