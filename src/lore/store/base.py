"""The store interface: one small protocol per aggregate. Callers type against these, never
against a backend; all SQL lives in the backends under ``lore.store``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from lore.domain import Event, Project, ProjectSettings, Session, SessionState
from lore.domain.jobs import Job, JobStatus, StageStatus


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    """An event validated, redacted and hashed by capture, ready to store."""

    source: str
    type: str
    payload_json: str
    content_hash: str
    idempotency_key: str | None = None
    occurred_at: float | None = None
    session_id: int | None = None


@dataclass(frozen=True, slots=True)
class AppendOutcome:
    event_ids: list[int]
    session_ids: list[int]
    duplicates: int
    new_event_ids: list[int]


class ProjectStore(Protocol):
    def create(self, name: str, repo: str | None, settings: ProjectSettings) -> Project: ...
    def get(self, project_id: int) -> Project: ...
    def by_name(self, name: str) -> Project | None: ...
    def all(self) -> list[Project]: ...
    def update(
        self,
        project_id: int,
        *,
        name: str | None = None,
        repo: str | None = None,
        settings: ProjectSettings | None = None,
    ) -> Project: ...
    def set_embedding_model(self, project_id: int, model: str, dim: int) -> Project: ...
    def get_state(self, project_id: int, key: str) -> str | None: ...
    def set_state(self, project_id: int, key: str, value: str) -> None: ...


class EventStore(Protocol):
    def append(
        self, project_id: int, events: Sequence[PreparedEvent], session_window_s: float
    ) -> AppendOutcome:
        """Store new events atomically, each in its given session or the active capture session
        of its project and source (created when none is younger than ``session_window_s``)."""
        ...

    def get(self, event_id: int) -> Event: ...
    def for_session(
        self, session_id: int, *, after_id: int = 0, limit: int | None = None
    ) -> list[Event]: ...
    def unenriched(self, session_id: int) -> list[Event]: ...
    def mark_enriched(self, event_ids: Sequence[int], job_id: int) -> None: ...
    def count(self, project_id: int | None = None) -> int: ...


class SessionStore(Protocol):
    def create(
        self,
        project_id: int,
        source: str,
        goal: str = "",
        state: SessionState = SessionState.COLLECTING,
        overrides: dict[str, Any] | None = None,
    ) -> Session: ...
    def get(self, session_id: int) -> Session: ...
    def find(
        self,
        project_id: int | None = None,
        *,
        states: Sequence[SessionState] | None = None,
        source: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Session]: ...
    def count(
        self,
        project_id: int | None = None,
        *,
        states: Sequence[SessionState] | None = None,
        source: str | None = None,
    ) -> int: ...
    def set_state(
        self,
        session_id: int,
        state: SessionState,
        *,
        expected: Sequence[SessionState] | None = None,
        error: str | None = None,
    ) -> Session:
        """Move to ``state``; with ``expected``, only from one of those states (else ConflictError)."""
        ...

    def close(self, session_id: int) -> Session:
        """End collecting: close the open episode and move to idle (waiting for enrichment)."""
        ...

    def record_items(self, session_id: int, items_extracted: int) -> Session: ...


@dataclass(frozen=True, slots=True)
class LLMCall:
    """One LLM call as accounting records it. The LLM fills the call; a recorder adds the
    context (project, job, stage); the store sets ``id`` and ``created_at``."""

    provider: str
    model: str
    step: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    duration_ms: float = 0.0
    outcome: Literal["ok", "error", "fallback"] = "ok"
    error: str | None = None
    fallback_from: str | None = None
    project_id: int | None = None
    job_id: int | None = None
    stage: str | None = None
    created_at: float | None = None
    id: int | None = None


UsageGroup = Literal["job", "stage", "step", "model", "provider", "day"]


@dataclass(frozen=True, slots=True)
class LLMUsage:
    """Calls and tokens of one group: a job id, a stage, step, model, provider or a UTC day
    (``YYYY-MM-DD``); ``key`` is None for calls recorded without that context."""

    key: str | int | None
    calls: int
    errors: int
    fallbacks: int
    prompt_tokens: int
    completion_tokens: int
    duration_ms: float

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class LLMCallStore(Protocol):
    def add(self, call: LLMCall) -> LLMCall:
        """Store one call; returns it with ``id`` and ``created_at`` set."""
        ...

    def recent(
        self,
        *,
        project_id: int | None = None,
        job_id: int | None = None,
        stage: str | None = None,
        limit: int = 100,
    ) -> list[LLMCall]:
        """The newest calls first."""
        ...

    def usage(
        self,
        group_by: UsageGroup,
        *,
        project_id: int | None = None,
        job_id: int | None = None,
        since: float | None = None,
    ) -> list[LLMUsage]:
        """Totals per group, ordered by key (days and jobs ascending)."""
        ...


@dataclass(frozen=True, slots=True)
class TextToEmbed:
    """A stored text and where its vector goes: a node (title and body), or a step (its subgoal
    as the title)."""

    id: int
    title: str
    body: str = ""


class VectorStore(Protocol):
    """Embeddings of nodes as float32 blobs, tagged with the model that made them."""

    def put(self, model: str, node_ids: Sequence[int], vectors: NDArray[np.float32]) -> None:
        """Store (or replace) one row of ``vectors`` per node id."""
        ...

    def get(self, node_ids: Sequence[int]) -> dict[int, NDArray[np.float32]]: ...
    def delete(self, node_ids: Sequence[int]) -> int: ...
    def count(self, project_id: int, *, model: str | None = None) -> int: ...
    def all_for_project(
        self,
        project_id: int,
        kinds: Sequence[str] | None = None,
        *,
        model: str | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """(node ids, matrix with one row per id) for a recall index. ``model`` defaults to the
        project's recorded embedding model, so vectors of another model never mix in."""
        ...

    def embedded_node_texts(
        self, project_id: int, *, after_id: int = 0, limit: int = 256
    ) -> list[TextToEmbed]:
        """Title and body of nodes that have an embedding, by id, for re-embedding."""
        ...

    def subgoal_texts(
        self, project_id: int, *, after_id: int = 0, limit: int = 256
    ) -> list[TextToEmbed]:
        """Subgoals of steps that have a subgoal vector, by step id, for re-embedding."""
        ...

    def put_subgoal_vectors(
        self, step_ids: Sequence[int], vectors: NDArray[np.float32]
    ) -> None: ...
    def subgoal_count(self, project_id: int) -> int: ...


@dataclass(frozen=True, slots=True)
class StageOutcome:
    """How a stage ended, as the runner records it with the stage's stored output."""

    status: StageStatus
    duration_ms: float
    output: str | None = None
    tokens: int = 0
    llm_calls: int = 0
    items: int = 0
    note: str | None = None
    error: str | None = None
    error_detail: str | None = None


class JobStore(Protocol):
    """Durable enrichment jobs. Every change a worker makes names the worker: once its lease is
    gone (another worker claimed the job) the change raises ``LeaseLostError``."""

    def enqueue(
        self,
        project_id: int,
        session_id: int,
        trigger: str,
        stages: Sequence[str],
        *,
        max_attempts: int,
        run_after: float,
        now: float,
    ) -> tuple[Job, bool]:
        """Queue a job for the session, atomically, unless one is already queued or processing;
        returns (that job, whether it was created)."""
        ...

    def get(self, job_id: int) -> Job: ...
    def find(
        self,
        *,
        project_id: int | None = None,
        session_id: int | None = None,
        statuses: Sequence[JobStatus] | None = None,
        trigger: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Job]:
        """Newest first."""
        ...

    def claim(self, worker: str, lease_s: float, now: float) -> Job | None:
        """Atomically take the oldest due queued job, or a processing one whose lease expired."""
        ...

    def renew(self, job_id: int, worker: str, lease_s: float, now: float) -> bool:
        """Extend the lease; False when the worker no longer holds it."""
        ...

    def start_stage(self, job_id: int, worker: str, stage: str, now: float) -> None: ...
    def end_stage(self, job_id: int, worker: str, stage: str, outcome: StageOutcome) -> None:
        """Record a completed, skipped or failed stage and its output in one transaction."""
        ...

    def stage_output(self, job_id: int, stage: str) -> str | None: ...
    def complete(
        self, job_id: int, worker: str, items: int, event_ids: Sequence[int], now: float
    ) -> Job:
        """Finish the job and mark its events enriched by it, atomically."""
        ...

    def release(
        self,
        job_id: int,
        worker: str,
        *,
        error: str,
        error_detail: str,
        run_after: float | None,
        now: float,
    ) -> Job:
        """Give the job back: queued again at ``run_after`` (a transient error), or failed for
        good when ``run_after`` is None."""
        ...

    def retry(self, job_id: int, extra_attempts: int, now: float) -> Job:
        """Queue a failed job again; its failed stages go back to pending, finished ones stay."""
        ...


class Store(Protocol):
    projects: ProjectStore
    events: EventStore
    sessions: SessionStore
    llm_calls: LLMCallStore
    vectors: VectorStore
    jobs: JobStore

    def close(self) -> None: ...
