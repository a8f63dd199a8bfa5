"""What recall reads: full text, identifiers, rows to rank, event windows, the graph's
neighbours."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lore.domain import Event
from lore.domain.graph import ITEM_KINDS, LinkKind, NodeKind
from lore.store.base.vectors import TextToEmbed


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
