"""The record of every LLM call: its tokens, time and outcome, and usage summed over them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol


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
