"""The job system: queueing, atomic claims with leases, stage bookkeeping, retry and backoff."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from lore.config import Settings
from lore.domain import Project, ProjectSettings, Session, SessionState
from lore.domain.episodes import Extraction
from lore.domain.graph import Changeset, NodeDraft
from lore.domain.jobs import STAGES, JobStatus, StageStatus
from lore.errors import (
    ConflictError,
    LeaseLostError,
    StoreError,
    TransientProviderError,
    ValidationError,
)
from lore.pipeline.context import PipelineState, StageContext, StageResult
from lore.pipeline.service import Pipeline
from lore.providers.embeddings import Embedder
from lore.providers.llm import LLM
from lore.sessions.ports import ExtractionOutput
from lore.store.sqlite import SQLiteStore


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Hooks:
    """The session engine's side, recorded."""

    stopping = False

    def __init__(self) -> None:
        self.started: list[int] = []
        self.finished: list[tuple[int, bool, str | None, int]] = []

    def run_extraction(self, extraction_id: int) -> ExtractionOutput:
        raise AssertionError("the pipeline extracts through extract(), not run_extraction()")

    def extraction_started(self, session_id: int, job_id: int) -> None:
        self.started.append(job_id)

    def extract(self, run: Extraction, llm: LLM | None) -> Changeset:
        return Changeset(session_id=run.session_id)

    def extraction_finished(
        self,
        session_id: int,
        job_id: int,
        ok: bool,
        error: str | None,
        changeset: Changeset | None = None,
        *,
        vectors: Mapping[str, NDArray[np.float32]] | None = None,
        embedding_model: str | None = None,
    ) -> None:
        items = len(changeset.items) if changeset else -1
        self.finished.append((job_id, ok, error, items))


class Offline:
    """Providers of a machine with no models: the scripted stages need none."""

    def llm(self, project: Project, session: Session, *, job_id: int | None = None) -> None:
        return None

    def embedder(self, session: Session) -> Embedder:
        return Unused()


class Unused:
    model = "unused"
    dim = 1

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        raise AssertionError("the scripted stages embed nothing")

    def close(self) -> None:
        pass


class Script:
    """Stage functions that record their calls and fail on demand."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail: dict[str, list[Exception]] = {}

    def stage(self, name: str):  # type: ignore[no-untyped-def]
        def run(ctx: StageContext, state: PipelineState) -> StageResult:
            self.calls.append(name)
            errors = self.fail.get(name)
            if errors:
                raise errors.pop(0)
            nodes = [
                *state.changeset.nodes,
                NodeDraft(ref=f"{name}-item", kind="semantic", type="decision", title=name),
            ]
            changeset = state.changeset.model_copy(update={"nodes": nodes})
            return StageResult(state=state.model_copy(update={"changeset": changeset}), items=1)

        return run


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def hooks() -> Hooks:
    return Hooks()


@pytest.fixture
def pipeline(store: SQLiteStore, clock: Clock, script: Script, hooks: Hooks) -> Pipeline:
    settings = Settings()
    settings.pipeline.retry_backoff_s = 10
    settings.pipeline.in_process_worker = False
    stages = {name: script.stage(name) for name in STAGES}
    return Pipeline(store, settings, hooks, Offline(), clock=clock, stages=stages)


def new_session(store: SQLiteStore, name: str = "demo") -> int:
    project = store.projects.by_name(name) or store.projects.create(name, None, ProjectSettings())
    return store.sessions.create(project.id, "cli", state=SessionState.IDLE).id


def test_new_work_joins_the_queued_job_of_its_session(
    store: SQLiteStore, pipeline: Pipeline, clock: Clock
) -> None:
    session_id = new_session(store)
    first = pipeline.jobs.enqueue(session_id, "auto_learn", run_after=clock.now + 600)
    again = pipeline.jobs.enqueue(session_id, "session")
    assert again.id == first.id
    assert again.run_after == clock.now  # the joined job runs as early as the new work asks
    assert first.status is JobStatus.QUEUED
    assert [stage.name for stage in first.stages] == list(STAGES)
    assert all(stage.status is StageStatus.PENDING for stage in first.stages)


def test_unknown_trigger_is_rejected(store: SQLiteStore, pipeline: Pipeline) -> None:
    with pytest.raises(ValidationError):
        pipeline.jobs.enqueue(new_session(store), "whenever")


def test_claims_are_exclusive_and_respect_run_after(
    store: SQLiteStore, pipeline: Pipeline, clock: Clock
) -> None:
    later = pipeline.jobs.enqueue(new_session(store), run_after=clock.now + 60)
    due = pipeline.jobs.enqueue(new_session(store))
    claimed = store.jobs.claim("w1", 600, clock.now)
    assert claimed is not None and claimed.id == due.id
    assert claimed.attempts == 1 and claimed.lease_owner == "w1"
    assert store.jobs.claim("w2", 600, clock.now) is None
    clock.now += 61
    assert store.jobs.claim("w2", 30, clock.now).id == later.id  # type: ignore[union-attr]


def test_concurrent_claims_never_share_a_job(store: SQLiteStore, pipeline: Pipeline) -> None:
    for _ in range(20):
        pipeline.jobs.enqueue(new_session(store))
    claimed: list[int] = []
    lock = threading.Lock()

    def grab(worker: str) -> None:
        while (job := store.jobs.claim(worker, 30, 2_000_000.0)) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=grab, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 20


def test_an_expired_lease_is_taken_over_and_the_old_worker_is_shut_out(
    store: SQLiteStore, pipeline: Pipeline, clock: Clock
) -> None:
    job = pipeline.jobs.enqueue(new_session(store))
    store.jobs.claim("w1", 30, clock.now)
    store.jobs.start_stage(job.id, "w1", "enrich", clock.now)
    assert store.jobs.claim("w2", 30, clock.now + 10) is None
    taken = store.jobs.claim("w2", 30, clock.now + 31)
    assert taken is not None and taken.lease_owner == "w2" and taken.attempts == 2
    assert taken.next_stage == "enrich"  # the interrupted stage runs again
    with pytest.raises(LeaseLostError):
        store.jobs.start_stage(job.id, "w1", "enrich", clock.now + 32)
    assert not store.jobs.renew(job.id, "w1", 30, clock.now + 32)


def test_a_job_runs_every_stage_and_stores_each_output(
    store: SQLiteStore, pipeline: Pipeline, script: Script, hooks: Hooks
) -> None:
    job = pipeline.jobs.enqueue(new_session(store))
    done = pipeline.worker("w1").run_once()
    assert done is not None and done.status is JobStatus.COMPLETED
    assert script.calls == list(STAGES)
    assert [stage.status for stage in done.stages] == [StageStatus.COMPLETED] * 5
    assert all(stage.duration_ms is not None and stage.runs == 1 for stage in done.stages)
    assert done.items_extracted == 5
    dedup_output = PipelineState.model_validate_json(store.jobs.stage_output(job.id, "dedup"))  # type: ignore[arg-type]
    assert [node.ref for node in dedup_output.changeset.nodes] == [
        "enrich-item",
        "deep_enrich-item",
        "embed-item",
        "dedup-item",
    ]
    assert hooks.started == [job.id] and hooks.finished == [(job.id, True, None, 5)]


def test_a_failed_stage_keeps_its_traceback_and_retry_resumes_there(
    store: SQLiteStore, pipeline: Pipeline, script: Script, hooks: Hooks
) -> None:
    job = pipeline.jobs.enqueue(new_session(store))
    script.fail["embed"] = [RuntimeError("embedder exploded")]
    failed = pipeline.worker().run_once()
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error == "embed: RuntimeError: embedder exploded"
    embed = failed.stage("embed")
    assert embed.status is StageStatus.FAILED
    assert embed.error == "RuntimeError: embedder exploded"
    assert "Traceback" in (embed.error_detail or "")
    assert failed.stage("dedup").status is StageStatus.PENDING
    assert hooks.finished[-1][:2] == (job.id, False)

    retried = pipeline.jobs.retry(job.id)
    assert retried.status is JobStatus.QUEUED and retried.next_stage == "embed"
    done = pipeline.worker().run_once()
    assert done is not None and done.status is JobStatus.COMPLETED
    assert script.calls == ["enrich", "deep_enrich", "embed", "embed", "dedup", "drift"]
    assert done.stage("embed").runs == 2 and done.stage("enrich").runs == 1
    assert done.items_extracted == 5


def test_only_a_failed_job_can_be_retried(store: SQLiteStore, pipeline: Pipeline) -> None:
    job = pipeline.jobs.enqueue(new_session(store))
    with pytest.raises(ConflictError):
        pipeline.jobs.retry(job.id)


def test_transient_errors_back_off_then_succeed(
    store: SQLiteStore, pipeline: Pipeline, script: Script, clock: Clock
) -> None:
    job = pipeline.jobs.enqueue(new_session(store))
    script.fail["enrich"] = [TransientProviderError("429 rate limited")]
    worker = pipeline.worker()
    requeued = worker.run_once()
    assert requeued is not None and requeued.status is JobStatus.QUEUED
    assert requeued.run_after == clock.now + 10
    assert requeued.stage("enrich").status is StageStatus.FAILED
    assert worker.run_once() is None  # not due yet
    clock.now += 10
    done = worker.run_once()
    assert done is not None and done.status is JobStatus.COMPLETED and done.attempts == 2
    assert done.id == job.id


def test_transient_errors_fail_the_job_once_attempts_run_out(
    store: SQLiteStore, pipeline: Pipeline, script: Script, clock: Clock
) -> None:
    pipeline.jobs.enqueue(new_session(store))
    script.fail["dedup"] = [TransientProviderError("timeout")] * 3
    worker = pipeline.worker()
    delays = []
    for _ in range(3):
        job = worker.run_once()
        assert job is not None
        delays.append(job.run_after - clock.now)
        clock.now = job.run_after
    assert job.status is JobStatus.FAILED
    assert delays[:2] == [10, 20]
    assert script.calls.count("enrich") == 1 and script.calls.count("dedup") == 3


def test_a_job_whose_workers_keep_dying_fails_once_its_attempts_are_used(
    store: SQLiteStore, pipeline: Pipeline, clock: Clock, hooks: Hooks
) -> None:
    job = pipeline.jobs.enqueue(new_session(store))
    for worker in ("w1", "w2", "w3"):  # each claims, starts Enrich, then dies
        assert store.jobs.claim(worker, 30, clock.now) is not None
        store.jobs.start_stage(job.id, worker, "enrich", clock.now)
        clock.now += 31
    done = pipeline.worker("w4").run_once()
    assert done is not None and done.status is JobStatus.FAILED and done.attempts == 4
    assert done.error == "enrich: LoreError: the job was interrupted 3 times without finishing"
    assert hooks.finished == [(job.id, False, done.error, -1)]
    # The stage the dead workers left active is failed with the job, not shown as running.
    assert done.stage("enrich").status is StageStatus.FAILED
    assert done.stage("enrich").error == done.error


def test_the_memory_is_committed_before_the_job_is_completed(
    store: SQLiteStore, pipeline: Pipeline, hooks: Hooks, clock: Clock
) -> None:
    """A worker killed between the two leaves a job a later worker completes, never a completed
    job whose items are missing."""
    job = pipeline.jobs.enqueue(new_session(store))
    complete = store.jobs.complete

    def killed(*args: object, **kwargs: object) -> None:
        assert hooks.finished == [(job.id, True, None, 5)]  # committed already
        raise SystemExit("killed before the job was marked completed")

    store.jobs.complete = killed  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        pipeline.worker("w1").run_once()
    store.jobs.complete = complete  # type: ignore[method-assign]
    assert store.jobs.get(job.id).status is JobStatus.PROCESSING
    clock.now += 10_000  # the dead worker's lease runs out
    done = pipeline.worker("w2").run_once()
    assert done is not None and done.status is JobStatus.COMPLETED
    assert hooks.finished[-1] == (job.id, True, None, 5)  # the engine's side is idempotent


def test_a_worker_stopped_while_its_store_closes_ends_without_an_error(
    pipeline: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    worker = pipeline.worker("w1")

    def closed_under_it() -> None:  # lore shuts down: the stop, then the store goes
        worker.stop(timeout=0)
        raise StoreError("the store is closed")

    worker.run_once = closed_under_it  # type: ignore[method-assign,assignment]
    with caplog.at_level("ERROR"):
        assert worker.run() == 0
    assert "unexpected error" not in caplog.text
