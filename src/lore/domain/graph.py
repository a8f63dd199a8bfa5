"""The knowledge graph's plain types: nodes, links and the changeset that carries them.

Extraction produces a ``Changeset`` of drafts that refer to each other by ``ref`` (a name local to
the changeset) and to stored nodes by id. Commit applies it atomically.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

NodeKind = Literal["semantic", "procedural", "episodic", "subgoal", "source", "tag", "intent"]
ItemType = Literal["architecture", "convention", "implementation", "decision", "bug", "todo"]
ItemStatus = Literal["draft", "approved", "review", "deprecated", "archived"]
LinkKind = Literal[
    "membership", "hierarchical", "provenance", "sibling", "supersedes", "related", "evidence"
]
ITEM_KINDS: tuple[NodeKind, ...] = ("semantic", "procedural")
ITEM_TYPES: tuple[ItemType, ...] = (
    "architecture",
    "convention",
    "implementation",
    "decision",
    "bug",
    "todo",
)
ITEM_STATUSES: tuple[ItemStatus, ...] = ("draft", "approved", "review", "deprecated", "archived")


class Evidence(BaseModel):
    """The event an item was built from and the words quoted from it."""

    event_id: int
    quote: str = ""


class NodeDraft(BaseModel):
    ref: str
    kind: NodeKind
    type: ItemType | None = None
    title: str = ""
    body: str = ""
    data: dict[str, Any] = Field(default_factory=dict)
    schema_key: str | None = None
    status: ItemStatus | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    importance: float | None = Field(default=None, ge=0.0, le=1.0)
    files: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    dedup_hint: str | None = None
    commit_from: str | None = None
    commit_to: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    # Set by Dedup: fold this draft into a stored node instead of inserting it.
    merge_into: int | None = None
    # Set by Dedup: this draft contradicts a stored node and replaces it (validity interval).
    supersedes: int | None = None


class LinkDraft(BaseModel):
    """A link between drafts (by ref, a str) or stored nodes (by id, an int)."""

    kind: LinkKind
    src: str | int
    dst: str | int
    weight: float = 1.0


class Changeset(BaseModel):
    session_id: int
    episode_id: int | None = None
    job_id: int | None = None
    nodes: list[NodeDraft] = Field(default_factory=list)
    links: list[LinkDraft] = Field(default_factory=list)
    stats: dict[str, int] = Field(default_factory=dict)

    @property
    def items(self) -> list[NodeDraft]:
        return [node for node in self.nodes if node.kind in ITEM_KINDS]


class Node(BaseModel):
    """A stored node. Items (semantic, procedural) use the item fields; others leave them empty."""

    model_config = ConfigDict(frozen=True)

    id: int
    project_id: int
    kind: NodeKind
    type: ItemType | None
    title: str
    body: str
    data: dict[str, Any]
    schema_key: str | None
    status: ItemStatus | None
    confidence: float | None
    importance: float | None
    files: list[str]
    tags: list[str]
    dedup_hint: str | None
    content_hash: str | None
    session_id: int | None
    job_id: int | None
    commit_from: str | None
    commit_to: str | None
    valid_from: float | None
    valid_to: float | None
    superseded_by: int | None
    merged_from: list[int]
    last_reinforced_at: float | None
    access_count: int
    last_access_at: float | None
    reward_sum: float
    reward_count: int
    created_at: float
    updated_at: float


class Link(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    kind: LinkKind
    src: int
    dst: int
    weight: float
    created_at: float


_LABEL_NOISE = re.compile(r"[\s_\-]+")


def normalise_label(label: str) -> str:
    """The form two tag labels are compared in: case, spacing, ``_`` and ``-`` do not count."""
    return _LABEL_NOISE.sub(" ", label).strip(" .,;:!?\"'`").lower()


def content_hash(kind: str, title: str, body: str) -> str:
    """Exact-duplicate key of a node: its kind and its normalised title and body."""
    digest = hashlib.sha256()
    for part in (kind, " ".join(title.split()).lower(), " ".join(body.split()).lower()):
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()
