"""The store interface: one small protocol per aggregate. Callers type against these, never
against a backend; all SQL lives in the backends under ``lore.store``."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from lore.domain import Event, Project, ProjectSettings, Session, SessionState, SessionStatus
from lore.domain.episodes import (
    ChangesetStatus,
    Episode,
    EpisodeStatus,
    Extraction,
    ExtractionScope,
    ExtractionStatus,
    OpKind,
    PendingOp,
    Step,
    StoredChangeset,
)
from lore.domain.graph import (
    ITEM_KINDS,
    Changeset,
    Evidence,
    ItemStatus,
    Link,
    LinkKind,
    Node,
    NodeKind,
)
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
    # What the event says the session is about (a prompt, a save's summary, a commit's
    # subject): the first one becomes the goal of a session that has none.
    about: str | None = None


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
    def get_many(self, event_ids: Sequence[int]) -> dict[int, Event]:
        """The events of ``event_ids`` that exist, by id, in one query."""
        ...

    def around(self, project_id: int, when: float, count: int) -> list[Event]:
        """Up to ``count`` events of the project at or before ``when`` and ``count`` after it,
        in time order (an event's time: when it happened, else when it was captured)."""
        ...

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
        status: SessionStatus | None = None,
        source: str | None = None,
        text: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Session]:
        """Sessions, newest first; ``status`` as ``session_status`` derives it; ``text``: whose
        goal or one of whose events holds it."""
        ...

    def count(
        self,
        project_id: int | None = None,
        *,
        status: SessionStatus | None = None,
        source: str | None = None,
        text: str | None = None,
    ) -> int: ...
    def facets(self, project_id: int) -> tuple[list[str], list[SessionStatus]]:
        """The sources and the statuses the project's sessions have, for filters."""
        ...

    def set_error(self, session_id: int, error: str | None) -> None:
        """Record (or clear) the failure of the session's latest extraction run, whatever its
        state: a session still collecting shows failed until a new run begins."""
        ...

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

    def inactive(self, before: float) -> list[Session]:
        """Captured sessions (not the engine's) still collecting whose last event (or start,
        when they have none) is older than ``before``."""
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

    def get(
        self, node_ids: Sequence[int], *, model: str | None = None
    ) -> dict[int, NDArray[np.float32]]:
        """The stored vectors among ``node_ids`` (only those of ``model`` when given)."""
        ...

    def put_events(
        self, model: str, event_ids: Sequence[int], vectors: NDArray[np.float32]
    ) -> None:
        """Store (or replace) the vector of each event (half precision)."""
        ...

    def of_events(self, event_ids: Sequence[int], model: str) -> dict[int, NDArray[np.float32]]:
        """The stored vectors of ``model`` among ``event_ids``."""
        ...

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

    def page(
        self, project_id: int, model: str, *, after_id: int, limit: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """Up to ``limit`` of the project's vectors of ``model`` after ``after_id``, by node id."""
        ...

    def ids_of_kinds(
        self, project_id: int, model: str, kinds: Sequence[str], *, limit: int
    ) -> list[int]:
        """Up to ``limit`` ids of the project's nodes of ``kinds`` with a vector of ``model``."""
        ...

    def last_change(self, project_id: int) -> int:
        """The number of the project's latest vector change (0: none logged)."""
        ...

    def changed_since(self, project_id: int, seq: int) -> tuple[int, list[int]]:
        """(the latest change's number, the nodes whose vector changed after ``seq``, each
        once): what an index holding the project's vectors up to ``seq`` must apply."""
        ...

    def embedded_node_texts(
        self, project_id: int, *, after_id: int = 0, limit: int = 256
    ) -> list[TextToEmbed]:
        """Title and body of nodes that have an embedding, by id, for re-embedding; event
        windows aside (their vectors are composed from their events', ``index_events``)."""
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
    ) -> Job:
        """Queue a job for the session, atomically, unless one is already queued: then the new
        work joins it (and it runs no later than ``run_after``)."""
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
        """Atomically take the oldest due queued job, or a processing one whose lease expired;
        a session's jobs run one at a time, in order."""
        ...

    def renew(self, job_id: int, worker: str, lease_s: float, now: float) -> bool:
        """Extend the lease; False when the worker no longer holds it."""
        ...

    def lease_owners(self) -> list[str]:
        """The workers holding a lease on a processing job."""
        ...

    def expire_leases(self, owners: Sequence[str]) -> int:
        """End the leases of these (dead) workers now, so their jobs can be claimed again."""
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
        good when ``run_after`` is None. A stage left active goes back to pending, or fails."""
        ...

    def retry(self, job_id: int, extra_attempts: int, now: float) -> Job:
        """Queue a failed job again; its failed stages go back to pending, finished ones stay."""
        ...


class ItemMatchStore(Protocol):
    """The pipeline's lookups over stored items."""

    def exact(self, project_id: int, hashes: Sequence[str], hints: Sequence[str]) -> list[Node]:
        """Current (not superseded) items whose content hash or dedup hint is one of those
        given, oldest first."""
        ...

    def fold_merges(
        self, project_id: int, now: float, node_ids: Sequence[int] | None = None
    ) -> int:
        """Fold committed items that Dedup marked as repeats (``data["dedup"]["action"] ==
        "merge"``; all of the project's, or those of ``node_ids``) into the older item each
        repeats: it is reinforced (confidence up, ``last_reinforced_at``), lists the repeat in
        ``merged_from`` and takes its evidence; the repeat's validity ends. Returns how many."""
        ...


# The session engine's aggregates: episodes, steps, extraction runs, queued operations,
# changesets waiting for commit, and the graph they are applied to.


class EpisodeStore(Protocol):
    def create_managed_session(
        self, project_id: int, source: str, goal: str, overrides: dict[str, Any]
    ) -> Session:
        """A session the engine runs (``managed``), collecting, with its open episode."""
        ...

    def is_managed(self, session_id: int) -> bool: ...
    def managed_collecting(self) -> list[Session]:
        """Managed sessions in ``collecting``: the ones auto-commit timers watch."""
        ...

    def get(self, episode_id: int) -> Episode: ...
    def open_for(self, session_id: int) -> Episode | None: ...
    def latest(self, session_id: int) -> Episode | None: ...
    def for_session(self, session_id: int) -> list[Episode]: ...
    def start(self, session_id: int, goal: str) -> Episode:
        """A new open episode (the caller moves the session to collecting)."""
        ...

    def close(self, episode_id: int) -> Episode: ...
    def set_status(self, episode_id: int, status: EpisodeStatus) -> Episode: ...


class StepStore(Protocol):
    def add(
        self,
        session_id: int,
        episode_id: int,
        observation: str,
        action: str,
        *,
        event_id: int | None = None,
    ) -> Step:
        """A new, unannotated step at the end of the episode."""
        ...

    def get(self, step_id: int) -> Step: ...
    def delete(self, step_id: int) -> None: ...
    def for_episode(self, episode_id: int) -> list[Step]: ...
    def for_session(self, session_id: int, *, limit: int = 100, offset: int = 0) -> list[Step]: ...
    def recent(self, session_id: int, limit: int) -> list[Step]:
        """The latest annotated steps of the session's latest episode, oldest first."""
        ...

    def previous(self, step: Step) -> Step | None:
        """The step before ``step`` in its episode."""
        ...

    def next_unannotated(self, session_id: int) -> Step | None: ...
    def count_unannotated(self, session_id: int) -> int: ...
    def sessions_unannotated(self) -> list[int]: ...
    def annotate(
        self,
        step_id: int,
        *,
        state_summary: str,
        subgoal: str,
        subgoal_vec: NDArray[np.float32],
        trajectory: int,
        boundary: bool,
        error: str | None = None,
    ) -> Step:
        """Fill in a step's annotation; ``error``: why the rules annotated it, not the model."""
        ...

    def set_reward(self, step_id: int, reward: float, *, fallback: bool = False) -> None:
        """Set a step's reward; ``fallback``: the neutral score kept when scoring failed."""
        ...

    def subgoal_vector(self, step_id: int) -> NDArray[np.float32] | None: ...
    def claim(self, extraction_id: int, episode_id: int, *, upto_trajectory: int | None) -> int:
        """Give the episode's annotated steps no extraction has taken (up to a trajectory, or
        all) to ``extraction_id``; returns how many."""
        ...

    def claimed(self, extraction_id: int) -> list[Step]: ...
    def release(self, extraction_id: int) -> int:
        """Hand the steps of a failed extraction back, for the next one to take."""
        ...

    def reclaim(self, released_by: int, extraction_id: int) -> int:
        """Give the steps ``released_by`` handed back, and no run has taken since, to
        ``extraction_id`` (a retry of the failed run's job); returns how many."""
        ...

    def unclaimed(self, episode_id: int) -> list[Step]:
        """Annotated steps of the episode no extraction has taken, in order."""
        ...


class ExtractionStore(Protocol):
    def begin(
        self,
        session_id: int,
        episode_id: int | None,
        scope: ExtractionScope,
        runner: str,
        *,
        job_id: int | None = None,
    ) -> Extraction: ...

    def get(self, extraction_id: int) -> Extraction: ...
    def set_job(self, extraction_id: int, job_id: int) -> Extraction: ...
    def running(self, session_id: int | None = None) -> list[Extraction]: ...
    def for_job(self, session_id: int, job_id: int) -> Extraction | None:
        """The newest extraction of the session run by that job."""
        ...

    def for_session(self, session_id: int) -> list[Extraction]: ...
    def finish(
        self, extraction_id: int, status: ExtractionStatus, error: str | None = None
    ) -> bool:
        """Record the end of a running extraction; False when it had already ended."""
        ...


class OpStore(Protocol):
    def add(
        self,
        session_id: int,
        op: OpKind,
        args: dict[str, Any],
        *,
        result: str | None = None,
    ) -> PendingOp:
        """Queue an operation; with ``result`` it is recorded as already done."""
        ...

    def get(self, op_id: int) -> PendingOp: ...
    def get_many(self, op_ids: Sequence[int]) -> list[PendingOp]: ...
    def pending(self, session_id: int) -> list[PendingOp]:
        """The session's queued operations, in the order they run."""
        ...

    def for_session(self, session_id: int, *, limit: int = 50) -> list[PendingOp]:
        """Every operation of the session, newest first."""
        ...

    def sessions_pending(self) -> list[int]: ...
    def finish(self, op_id: int, result: str) -> None:
        """Mark a pending operation done; ConflictError when it is no longer pending (another
        process ran it), which rolls back the caller's transaction."""
        ...

    def fail(self, op_id: int, reason: str, error: str) -> None: ...
    def fail_pending(self, session_id: int, reason: str, error: str) -> list[int]:
        """Fail every queued operation of the session; returns their ids."""
        ...


class ChangesetStore(Protocol):
    def add(
        self,
        changeset: Changeset,
        *,
        extraction_id: int | None = None,
        vectors: Mapping[str, NDArray[np.float32]] | None = None,
        embedding_model: str | None = None,
    ) -> StoredChangeset:
        """Store a changeset as pending."""
        ...

    def get(self, changeset_id: int) -> StoredChangeset: ...
    def pending(self, session_id: int) -> list[StoredChangeset]: ...
    def for_session(self, session_id: int) -> list[StoredChangeset]: ...
    def mark(self, changeset_id: int, status: ChangesetStatus) -> None: ...
    def discard_pending(self, session_id: int) -> int: ...


@dataclass(frozen=True, slots=True)
class AppliedChangeset:
    """What a commit did: the node id of every draft ref (new, merged or deduplicated), the
    ids of the nodes it created, and how many links it added."""

    ids: dict[str, int]
    created: list[int]
    merged: dict[str, int]
    links: int


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """Filters of item queries; every field left empty matches everything. ``tags`` and
    ``files`` match nodes with any of the given values; ``current`` keeps nodes not superseded."""

    kinds: Sequence[NodeKind] = ITEM_KINDS
    types: Sequence[str] | None = None
    statuses: Sequence[str] | None = None
    schema_key_prefix: str | None = None
    tags: Sequence[str] | None = None
    files: Sequence[str] | None = None
    session_id: int | None = None
    since: float | None = None
    until: float | None = None
    current: bool = False


class GraphStore(Protocol):
    def apply(
        self,
        project_id: int,
        changeset: Changeset,
        *,
        vectors: Mapping[str, NDArray[np.float32]] | None = None,
        embedding_model: str | None = None,
    ) -> AppliedChangeset:
        """Apply a changeset atomically: tags deduplicated by normalised label, drafts with
        ``merge_into`` folded into that node, ``supersedes`` closing the old node's validity,
        links resolved from refs, vectors stored for the model (recorded on the project)."""
        ...

    def get(self, node_id: int) -> Node: ...
    def get_many(self, node_ids: Sequence[int]) -> list[Node]: ...
    def update(self, node_id: int, **fields: Any) -> Node:
        """Change item fields (title, body, data, type, schema_key, status, confidence,
        importance, files, tags, dedup_hint)."""
        ...

    def delete(self, node_ids: Sequence[int]) -> int:
        """Delete nodes; their links, evidence and vectors go with them."""
        ...

    def links(self, node_id: int, *, kinds: Sequence[LinkKind] | None = None) -> list[Link]:
        """Links from or to the node."""
        ...

    def add_link(
        self, project_id: int, kind: LinkKind, src: int, dst: int, weight: float = 1.0
    ) -> None: ...
    def items(
        self,
        project_id: int,
        where: ItemFilter = ItemFilter(),
        *,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Node]:
        """Nodes matching the filter, newest first."""
        ...

    def count_items(self, project_id: int, where: ItemFilter = ItemFilter()) -> int: ...
    def set_status(self, node_ids: Sequence[int], status: ItemStatus) -> int: ...
    def record_access(self, node_ids: Sequence[int], at: float | None = None) -> None:
        """One more access for each node (recall calls this for what it returned)."""
        ...

    def record_reward(self, node_ids: Sequence[int], reward: float) -> None: ...
    def find_tag(self, project_id: int, label: str) -> Node | None:
        """The tag node whose normalised label equals that of ``label``."""
        ...

    def evidence(self, node_id: int) -> list[Evidence]: ...


@dataclass(frozen=True, slots=True)
class WindowDraft:
    """An episode window: the text of an event and its neighbours, indexed as one ``source``
    node whose provenance is all of those events (``lore.recall.index``)."""

    centre_event_id: int
    event_ids: tuple[int, ...]
    text: str
    date: str
    happened_at: float


@dataclass(frozen=True)
class RecallRow:
    """What recall needs of a node to filter, rank and show it, with its provenance events.

    ``data``, ``files`` and ``tags`` are parsed from their JSON on first use: recall ranks a few
    hundred rows a query and shows ten.
    """

    id: int
    kind: NodeKind
    type: str | None
    title: str
    body: str
    schema_key: str | None
    status: str | None
    confidence: float | None
    importance: float | None
    session_id: int | None
    created_at: float
    updated_at: float
    valid_to: float | None
    last_reinforced_at: float | None
    access_count: int
    last_access_at: float | None
    reward_sum: float
    reward_count: int
    event_ids: tuple[int, ...]
    data_json: str = "{}"
    files_json: str = "[]"
    tags_json: str = "[]"

    @functools.cached_property
    def data(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.data_json)
        return parsed

    @functools.cached_property
    def files(self) -> list[str]:
        parsed: list[str] = json.loads(self.files_json)
        return parsed

    @functools.cached_property
    def tags(self) -> list[str]:
        parsed: list[str] = json.loads(self.tags_json)
        return parsed


@dataclass(frozen=True, slots=True)
class RecallFilter:
    """What recall may return. ``statuses`` None means every status but ``hidden`` (nodes
    without a status, such as windows, always pass then); ``files`` match a stored path equal
    to, ending in, or inside the given one; times bound ``created_at`` (for a window, the time
    of its event); ``current`` leaves out superseded nodes."""

    kinds: Sequence[NodeKind] = ITEM_KINDS
    types: Sequence[str] | None = None
    statuses: Sequence[str] | None = None
    hidden: Sequence[str] = ("deprecated",)
    schema_key_prefix: str | None = None
    tags: Sequence[str] | None = None
    files: Sequence[str] | None = None
    since: float | None = None
    until: float | None = None
    current: bool = True

    @property
    def only_kinds(self) -> bool:
        """True when nothing but the kinds (and the default status rule) restricts."""
        return not (
            self.types
            or self.statuses
            or self.schema_key_prefix
            or self.tags
            or self.files
            or self.since is not None
            or self.until is not None
        )


class SearchStore(Protocol):
    """Recall's side of the graph: full-text and substring indexes, link walks, the episode
    windows it keeps as ``source`` nodes, and the reads the brain is built from. Every query
    takes the project: scope is a hard filter, never a ranking signal."""

    def version(self, project_id: int) -> int:
        """A number that changes whenever the project's vectors (or nodes) are written."""
        ...

    def node_kinds(self, project_id: int) -> dict[int, str]: ...
    def kinds_of(self, node_ids: Sequence[int]) -> dict[int, str]:
        """The kind of each of ``node_ids`` that exists."""
        ...

    def matching_ids(self, project_id: int, where: RecallFilter) -> list[int]: ...
    def lexical(
        self, project_id: int, match: str, where: RecallFilter, limit: int
    ) -> dict[int, float]:
        """BM25 (positive, higher is better) of the best ``limit`` nodes matching ``match``."""
        ...

    def max_node_id(self) -> int:
        """The highest node id of every project: a bound on how many rows full text holds."""
        ...

    def match_counts(self, expressions: Sequence[str], cap: int) -> list[int]:
        """How many nodes (of every project) each full-text expression matches, counted up to
        ``cap + 1``: what matching it costs, without scoring."""
        ...

    def substring(
        self, project_id: int, match: str, where: RecallFilter, limit: int
    ) -> dict[int, float]:
        """The same over the trigram index: identifiers matched inside longer tokens."""
        ...

    def rows(
        self, project_id: int, node_ids: Sequence[int], where: RecallFilter | None = None
    ) -> list[RecallRow]:
        """The nodes among ``node_ids`` that are in the project (and pass ``where``)."""
        ...

    def neighbours(
        self,
        project_id: int,
        node_ids: Sequence[int],
        kinds: Sequence[LinkKind],
        max_degree: int,
    ) -> list[tuple[int, int, float, int]]:
        """(node, neighbour, link weight, node's degree) for links of ``kinds`` in either
        direction, leaving out nodes with more than ``max_degree`` such links (hubs)."""
        ...

    def ranked_items(
        self, project_id: int, where: RecallFilter, *, limit: int, recent: bool = False
    ) -> list[RecallRow]:
        """Items by standing (approved first, then importance, confidence and recency), or
        with ``recent`` the most recently changed first."""
        ...

    def fingerprint(self, project_id: int) -> str:
        """Changes whenever an item of the project (or its latest scan) changes."""
        ...

    def latest_event(self, project_id: int, type: str) -> Event | None: ...
    def session_windows(self, session_id: int) -> dict[int, tuple[int, str]]:
        """centre event id -> (window node id, indexed text) of the session's windows."""
        ...

    def window_sessions(self, project_id: int) -> list[int]:
        """The ids of the project's sessions that have event windows."""
        ...

    def put_windows(
        self, project_id: int, session_id: int, windows: Sequence[WindowDraft]
    ) -> list[int]:
        """Insert or replace windows (keyed by centre event); returns their node ids."""
        ...

    def unembedded(
        self, project_id: int, model: str, kinds: Sequence[NodeKind], *, limit: int
    ) -> list[TextToEmbed]:
        """Nodes of ``kinds`` without a vector of ``model``, oldest first."""
        ...


class OverviewStore(Protocol):
    """Read-only counts and lists the dashboard shows across aggregates."""

    def item_counts(self) -> dict[int, int]:
        """Current memory items (semantic, procedural, not superseded) per project id."""
        ...

    def schema_keys(self, project_id: int, where: ItemFilter = ItemFilter()) -> dict[str, int]:
        """Items matching ``where`` per schema key ("" for items without one)."""
        ...

    def review_items(
        self, project_id: int, *, below_confidence: float, limit: int = 50, offset: int = 0
    ) -> list[Node]:
        """Current items that need a person: status ``review`` (drift check) first, then drafts
        whose confidence is below ``below_confidence``; newest first within each."""
        ...

    def count_review_items(self, project_id: int, *, below_confidence: float) -> int: ...
    def job_counts(self, project_id: int | None = None) -> dict[JobStatus, int]:
        """Jobs per status (every status present, zero when none)."""
        ...

    def activity(self, project_id: int, since: float) -> dict[str, dict[str, int]]:
        """What happened in the project per UTC day (``YYYY-MM-DD``) from ``since``: events (by
        when they happened: a digested commit on its own day), sessions started and memory
        items made, under those three keys (days without any are left out)."""
        ...


class Store(Protocol):
    projects: ProjectStore
    events: EventStore
    sessions: SessionStore
    llm_calls: LLMCallStore
    vectors: VectorStore
    jobs: JobStore
    item_matches: ItemMatchStore
    episodes: EpisodeStore
    steps: StepStore
    extractions: ExtractionStore
    ops: OpStore
    changesets: ChangesetStore
    graph: GraphStore
    search: SearchStore
    overview: OverviewStore

    def transaction(self) -> AbstractContextManager[None]:
        """One atomic unit: every repository call inside joins it, and it is rolled back
        when the block raises."""
        ...

    def close(self) -> None: ...
