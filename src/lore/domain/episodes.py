"""What the session engine stores besides the session itself: episodes, their steps, extraction
runs, queued operations and changesets waiting for commit. Plain frozen records, no I/O."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lore.domain.graph import Changeset


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class EpisodeStatus(StrEnum):
    """``closed`` covers extracting, ready and failed: the session's state tells which."""

    OPEN = "open"
    CLOSED = "closed"
    COMMITTED = "committed"
    DISCARDED = "discarded"


class Episode(Record):
    id: int
    session_id: int
    goal: str
    status: EpisodeStatus
    started_at: float
    closed_at: float | None


class Step(Record):
    """One observation-action pair of an episode. The annotation (state summary, subgoal,
    trajectory, boundary) is filled after the append; ``reward`` when the next step arrives or
    at close. ``extraction_id`` is the extraction run that took the step."""

    id: int
    session_id: int
    episode_id: int
    event_id: int | None
    seq: int
    observation: str
    action: str
    state_summary: str | None
    subgoal: str | None
    reward: float | None
    trajectory: int | None
    boundary: bool
    created_at: float
    annotated_at: float | None
    extraction_id: int | None
    # The reward is the neutral 0.5 because the model failed to score the step.
    reward_fallback: bool = False
    # The model's error when it failed to annotate the step and the rules did instead.
    annotation_error: str | None = None

    @property
    def annotated(self) -> bool:
        return self.annotated_at is not None


ExtractionScope = Literal["episode", "trajectory"]
ExtractionStatus = Literal["running", "succeeded", "failed"]


class Extraction(Record):
    """One run of extraction over some steps of an episode: the whole closed episode
    (``episode``), or finished trajectories while the session keeps collecting (``trajectory``,
    auto-commit). ``job_id`` is the job that runs it (the pipeline's, or the local runner's)."""

    id: int
    session_id: int
    episode_id: int | None
    job_id: int | None
    scope: ExtractionScope
    status: ExtractionStatus
    runner: str
    error: str | None
    created_at: float
    finished_at: float | None


OpKind = Literal["commit", "discard", "start_episode", "close"]
OP_KINDS: tuple[OpKind, ...] = ("commit", "discard", "start_episode", "close")
OpStatus = Literal["pending", "done", "failed"]


class PendingOp(Record):
    """An async session operation. Queued ones wait as ``pending``; the outcome stays recorded
    (``result`` on success, ``reason`` and ``error`` on failure) so it is visible after a
    restart, when the callback that asked for it is gone."""

    id: int
    session_id: int
    op: OpKind
    args: dict[str, Any]
    status: OpStatus
    result: str | None
    reason: str | None
    error: str | None
    created_at: float
    finished_at: float | None


ChangesetStatus = Literal["pending", "applied", "discarded"]


class StoredChangeset(Record):
    """A changeset as stored between extraction and commit, with the vectors made for its
    drafts (ref -> float32 list) by the model named in ``embedding_model``."""

    id: int
    session_id: int
    episode_id: int | None
    job_id: int | None
    extraction_id: int | None
    status: ChangesetStatus
    changeset: Changeset
    vectors: dict[str, list[float]] = Field(default_factory=dict)
    embedding_model: str | None = None
    created_at: float
    applied_at: float | None
