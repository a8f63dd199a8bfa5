"""The knowledge graph: nodes, links and evidence, item filters, and the matches Dedup records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

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
