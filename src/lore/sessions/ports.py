"""The seam between the session engine and whatever runs its extractions as jobs.

The engine starts an extraction run (a closed episode, or finished trajectories under
auto-commit) and hands it to an ``ExtractionRunner``. The job does the work by calling
``ExtractionHost.run_extraction`` (the pipeline's Enrich stage does this) and reports its end
with ``extraction_finished``. ``LocalRunner`` (``lore.sessions.runner``) runs jobs in threads of
this process; the pipeline's durable jobs plug in through the same protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from lore.domain.episodes import Extraction
from lore.domain.graph import Changeset


@dataclass(frozen=True, slots=True)
class ExtractionOutput:
    """A run's changeset and the vectors of its drafts (ref -> unit float32 row)."""

    changeset: Changeset
    vectors: Mapping[str, NDArray[np.float32]] = field(default_factory=dict)
    embedding_model: str | None = None


class ExtractionRunner(Protocol):
    name: str

    def start(self, extraction: Extraction) -> int:
        """Queue a job for the run; returns the job's id."""
        ...

    def resume(self, extraction: Extraction) -> None:
        """After a restart: see that a run still marked running is carried to its end."""
        ...

    def close(self) -> None: ...


class ExtractionHost(Protocol):
    """What a runner calls back on the engine."""

    @property
    def stopping(self) -> bool: ...

    def run_extraction(self, extraction_id: int) -> ExtractionOutput: ...

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
    ) -> None: ...
