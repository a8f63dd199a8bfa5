"""``Pipeline``: the job manager, the runner and the workers of one store, wired once."""

from __future__ import annotations

import time
from collections.abc import Mapping

from lore.config import Settings
from lore.domain.jobs import Job
from lore.pipeline.context import Clock, Stage, StageProviders
from lore.pipeline.jobs import JobManager
from lore.pipeline.runner import JobRunner, SessionHooks
from lore.pipeline.stages import STAGE_FUNCTIONS
from lore.pipeline.worker import Worker
from lore.store.base import Store


class Pipeline:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        hooks: SessionHooks,
        *,
        clock: Clock = time.time,
        stages: Mapping[str, Stage] = STAGE_FUNCTIONS,
    ) -> None:
        self.store = store
        self.settings = settings
        self.jobs = JobManager(store, settings, clock=clock)
        self.runner = JobRunner(store, settings, stages, self.providers_for, hooks, clock)

    def worker(self, name: str | None = None) -> Worker:
        return Worker(self.store, self.runner, self.settings.pipeline, name=name)

    def providers_for(self, job: Job, stage: str) -> StageProviders:
        """The providers a stage of ``job`` runs with."""
        return StageProviders()
