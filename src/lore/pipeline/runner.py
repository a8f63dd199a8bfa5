"""Runs the stages of one claimed job, in order, from the first one not yet done.

Everything stages share is done here, around them: timing, counting tokens and LLM calls,
logging, storing each stage's output before the next starts, and turning an exception into a
failed stage with its traceback, a retry with backoff (transient errors) or a failed job.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lore.config import Settings
from lore.domain.graph import Changeset
from lore.domain.jobs import DONE_STAGE_STATUSES, Clock, Job, StageStatus
from lore.errors import LeaseLostError, LoreError, StoreError, TransientProviderError
from lore.pipeline.context import (
    PipelineState,
    SessionHooks,
    Stage,
    StageContext,
    StageProviders,
    StageResult,
)
from lore.recall import ann
from lore.store.base import StageOutcome, Store

log = logging.getLogger("lore.pipeline")

# Errors worth running the job again later: the same input may well succeed then.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (TransientProviderError, StoreError)

ProvidersFor = Callable[[Job, str], StageProviders]


@dataclass(frozen=True, slots=True)
class JobRunner:
    store: Store
    settings: Settings
    stages: Mapping[str, Stage]
    providers_for: ProvidersFor
    hooks: SessionHooks
    clock: Clock = time.time

    def run(self, job: Job, worker: str, stopping: Callable[[], bool] = lambda: False) -> Job:
        """Run ``job`` (claimed by ``worker``) to completion, a requeue or a failure. When
        ``stopping`` turns true, the job is handed back between two stages."""
        stage = job.next_stage or job.stages[-1].name
        if job.attempts > job.max_attempts:  # its workers kept dying (killed, out of memory)
            interrupted = LoreError(
                f"the job was interrupted {job.attempts - 1} times without finishing"
            )
            return self._give_back(job, worker, stage, interrupted)
        try:
            self.hooks.extraction_started(job.session_id, job.id)
        except Exception as exc:
            return self._give_back(job, worker, stage, exc)
        state = self._resume_state(job)
        for run in job.stages:
            if run.status in DONE_STAGE_STATUSES:
                continue
            if stopping():
                return self._hand_back(job, worker, run.name)
            try:
                state = self._run_stage(job, worker, run.name, state)
            except LeaseLostError:
                log.warning("job %s: lease lost during %s; left to its new owner", job.id, run.name)
                return self.store.jobs.get(job.id)
            except Exception as exc:
                return self._give_back(job, worker, run.name, exc)
        # The memory is committed before the job is marked completed: a worker killed between
        # the two leaves a job that a later worker completes (the commit is idempotent), never a
        # completed job whose items are missing.
        self.hooks.extraction_finished(
            job.session_id,
            job.id,
            True,
            None,
            state.changeset,
            vectors=state.all_vectors(),
            embedding_model=state.embedding_model,
        )
        items = len(state.changeset.items)
        done = self.store.jobs.complete(job.id, worker, items, state.event_ids, self.clock())
        log.info("job %s completed: %d items", job.id, items)
        self._prepare_vector_index(job)
        return done

    def _prepare_vector_index(self, job: Job) -> None:
        """A project past ``recall.ann_min_vectors`` gets its approximate index built here, in
        the background, rather than by the first recall after (lore.recall.ann). Never fails
        the job: recall builds the index itself when this could not."""
        try:
            project_id = self.store.sessions.get(job.session_id).project_id
            folder, least = self.settings.home / "vectors", self.settings.recall.ann_min_vectors
            if ann.prepare(self.store, project_id, folder, least):
                log.info("job %s: built the vector index of project %s", job.id, project_id)
        except Exception:
            log.exception("job %s: building the vector index failed; recall will", job.id)

    def _hand_back(self, job: Job, worker: str, stage: str) -> Job:
        """The worker stops: the job goes back to the queue, due now, to resume at ``stage``."""
        log.info("job %s: handed back before %s (worker stopping)", job.id, stage)
        now = self.clock()
        message = f"worker {worker} stopped before {stage}; the job resumes there"
        return self.store.jobs.release(
            job.id, worker, error=message, error_detail="", run_after=now, now=now
        )

    def _resume_state(self, job: Job) -> PipelineState:
        """The output of the last finished stage, or an empty start."""
        for run in reversed(job.stages):
            if run.status in DONE_STAGE_STATUSES:
                output = self.store.jobs.stage_output(job.id, run.name)
                if output is not None:
                    return PipelineState.model_validate_json(output)
        return PipelineState(changeset=Changeset(session_id=job.session_id, job_id=job.id))

    def _run_stage(self, job: Job, worker: str, name: str, state: PipelineState) -> PipelineState:
        started = self.clock()
        self.store.jobs.start_stage(job.id, worker, name, started)
        log.info("job %s: %s started", job.id, name)
        ctx = self._context(job, name)
        began = time.perf_counter()
        try:
            result = self.stages[name](ctx, state)
        except Exception as exc:
            self._record_failure(job, worker, name, exc, began)
            raise
        self.store.jobs.end_stage(job.id, worker, name, self._outcome(job, name, result, began))
        log.info("job %s: %s %s", job.id, name, "skipped" if result.skipped else "completed")
        return result.state

    def _context(self, job: Job, stage: str) -> StageContext:
        return StageContext(
            store=self.store,
            providers=self.providers_for(job, stage),
            clock=self.clock,
            settings=self.settings,
            sessions=self.hooks,
            job=job,
            project=self.store.projects.get(job.project_id),
            session=self.store.sessions.get(job.session_id),
        )

    def _outcome(self, job: Job, stage: str, result: StageResult, began: float) -> StageOutcome:
        calls, tokens = self._usage(job, stage)
        return StageOutcome(
            status=StageStatus.SKIPPED if result.skipped else StageStatus.COMPLETED,
            duration_ms=(time.perf_counter() - began) * 1000,
            output=result.state.model_dump_json(),
            tokens=tokens,
            llm_calls=calls,
            items=result.items,
            note=result.note,
        )

    def _usage(self, job: Job, stage: str) -> tuple[int, int]:
        """LLM calls and tokens this job's stage has recorded, over all its runs."""
        for usage in self.store.llm_calls.usage("stage", job_id=job.id):
            if usage.key == stage:
                return usage.calls, usage.total_tokens
        return 0, 0

    def _record_failure(
        self, job: Job, worker: str, stage: str, exc: BaseException, began: float
    ) -> None:
        if isinstance(exc, LeaseLostError):
            return
        calls, tokens = self._usage(job, stage)
        outcome = StageOutcome(
            status=StageStatus.FAILED,
            duration_ms=(time.perf_counter() - began) * 1000,
            tokens=tokens,
            llm_calls=calls,
            error=f"{type(exc).__name__}: {exc}",
            error_detail="".join(traceback.format_exception(exc)),
        )
        self.store.jobs.end_stage(job.id, worker, stage, outcome)

    def _give_back(self, job: Job, worker: str, stage: str, exc: Exception) -> Job:
        """Requeue the job with backoff after a transient error, else fail it for good."""
        error = f"{stage}: {type(exc).__name__}: {exc}"
        detail = "".join(traceback.format_exception(exc))
        now = self.clock()
        current = self.store.jobs.get(job.id)
        if isinstance(exc, TRANSIENT_ERRORS) and current.attempts < current.max_attempts:
            delay = self.backoff(current.attempts)
            log.warning("job %s: %s; retrying in %.1f s", job.id, error, delay)
            return self.store.jobs.release(
                job.id, worker, error=error, error_detail=detail, run_after=now + delay, now=now
            )
        log.error("job %s failed: %s", job.id, error)
        failed = self.store.jobs.release(
            job.id, worker, error=error, error_detail=detail, run_after=None, now=now
        )
        self.hooks.extraction_finished(job.session_id, job.id, False, error, None)
        return failed

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try: doubling from the base, capped."""
        pipeline = self.settings.pipeline
        return float(
            min(pipeline.retry_backoff_s * 2 ** max(attempts - 1, 0), pipeline.retry_backoff_max_s)
        )
