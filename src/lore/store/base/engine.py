"""The session engine's records: episodes, steps, extraction runs, queued operations and
changesets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from lore.domain import Session
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
from lore.domain.graph import Changeset


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
