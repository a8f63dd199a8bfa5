"""The dashboard's read-only counts and lists across aggregates."""

from __future__ import annotations

from typing import Protocol

from lore.domain.graph import Node
from lore.domain.jobs import JobStatus
from lore.store.base.graph import ItemFilter


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
