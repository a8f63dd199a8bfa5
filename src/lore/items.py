"""Memory items (semantic and procedural nodes) as people and agents change them: list, show,
set status, edit, supersede, delete. The dashboard, the REST API, the CLI and MCP all call this
service (through ``Lore``), so each change is validated and applied one way.

A project given to a method is a hard filter: an item of another project is not found.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel

from lore.capture.redact import redact
from lore.domain import Event
from lore.domain.graph import (
    ITEM_KINDS,
    ITEM_STATUSES,
    ITEM_TYPES,
    Changeset,
    ItemStatus,
    Link,
    Node,
    NodeDraft,
)
from lore.errors import NotFoundError, ValidationError
from lore.store import Store
from lore.store.base import ItemFilter

TITLE_MAX = 200
BODY_MAX = 50_000
SCHEMA_KEY = re.compile(r"^root(/[a-z0-9_.\-]+)*$")
# The fields a person may change on an item.
EDITABLE = (
    "title",
    "body",
    "type",
    "status",
    "schema_key",
    "confidence",
    "importance",
    "files",
    "tags",
)
# Data keys that record why an item was set aside: a successor does not inherit them.
RETIRING_DATA = ("drift", "deprecated_reason")


class ItemPage(BaseModel):
    items: list[Node]
    total: int
    offset: int


class Cited(BaseModel):
    """An event the item was built from, the words quoted from it, and the event itself
    (None when it was deleted since)."""

    event_id: int
    quote: str
    event: Event | None


class LinkedItem(BaseModel):
    id: int
    title: str
    kind: str
    type: str | None
    status: str | None
    relation: str


class HistoryEntry(BaseModel):
    at: float | None
    what: str
    item: LinkedItem | None = None


# How a node near an item stands to it: its tags, intents and subgoals, items related to it or
# siblings, what it supersedes or is superseded by, and what it came from (sessions, steps).
NeighbourGroup = Literal[
    "tag", "intent", "subgoal", "related", "sibling", "supersedes", "superseded_by", "evidence"
]
NEIGHBOUR_GROUPS: tuple[NeighbourGroup, ...] = (
    "tag",
    "intent",
    "subgoal",
    "related",
    "sibling",
    "supersedes",
    "superseded_by",
    "evidence",
)


class Neighbour(BaseModel):
    """A node linked to an item (``node_id``), or a session its evidence came from."""

    group: NeighbourGroup
    title: str
    kind: str
    node_id: int | None = None
    session_id: int | None = None


class ItemDetail(BaseModel):
    item: Node
    evidence: list[Cited]
    history: list[HistoryEntry]
    related: list[LinkedItem]
    # Every linked node and evidence session, in NEIGHBOUR_GROUPS order.
    neighbours: list[Neighbour]


class Items:
    def __init__(self, store: Store) -> None:
        self.store = store

    def find(
        self, project_id: int, where: ItemFilter, *, limit: int = 50, offset: int = 0
    ) -> ItemPage:
        """A page of the project's items matching ``where``, newest first, with the total."""
        graph = self.store.graph
        found = graph.items(project_id, where, limit=limit, offset=offset)
        return ItemPage(items=found, total=graph.count_items(project_id, where), offset=offset)

    def get(self, item_id: int, project_id: int | None = None) -> Node:
        """The memory item ``item_id`` (of ``project_id`` when given); NotFoundError for any
        other node."""
        try:
            node = self.store.graph.get(item_id)
        except NotFoundError:
            node = None
        if node is None or node.kind not in ITEM_KINDS:
            raise NotFoundError(f"no memory item {item_id}")
        if project_id is not None and node.project_id != project_id:
            project = self.store.projects.get(project_id).name
            raise NotFoundError(f"no memory item {item_id} in project {project}")
        return node

    def detail(self, node: Node) -> ItemDetail:
        evidence = self._evidence(node)
        return ItemDetail(
            item=node,
            evidence=evidence,
            history=self._history(node),
            related=self._related(node),
            neighbours=self._neighbours(node, evidence),
        )

    def set_status(
        self,
        project_id: int,
        item_ids: Sequence[int],
        status: str,
        *,
        reason: str | None = None,
    ) -> list[Node]:
        """Set the status of every listed item (all of the project, or NotFoundError before
        any change); ``reason`` is kept on the items as ``deprecated_reason``."""
        checked: ItemStatus = _choice("status", status, ITEM_STATUSES)
        nodes = [self.get(item_id, project_id) for item_id in item_ids]
        for node in nodes if reason else []:
            self.store.graph.update(node.id, data=node.data | {"deprecated_reason": reason})
        if nodes:
            self.store.graph.set_status([node.id for node in nodes], checked)
        return self.store.graph.get_many([node.id for node in nodes])

    def edit(self, node: Node, fields: Mapping[str, Any]) -> Node:
        """Change the item's editable fields (``EDITABLE``), validated first."""
        values = checked_fields(fields)
        updated = self.store.graph.update(node.id, **values)
        if (updated.title, updated.body) != (node.title, node.body):
            # The old vector describes the old text; recall embeds the item again when it is gone.
            self.store.vectors.delete([node.id])
        return updated

    def supersede(self, old: Node, fields: Mapping[str, Any], *, written_by: str) -> Node:
        """A new item replaces ``old`` (whose validity ends): ``old``'s fields changed by
        ``fields``, keeping its evidence and data but not the flags that retired it."""
        values = checked_fields(fields)
        if old.session_id is None:
            raise ValidationError("this item has no session left to attach its successor to")
        merged = _editable_of(old) | values
        kept = {key: value for key, value in old.data.items() if key not in RETIRING_DATA}
        draft = NodeDraft(
            ref="successor",
            kind=old.kind,
            **merged,
            data=kept | {"facts": merged["body"].splitlines(), "written_by": written_by},
            evidence=self.store.graph.evidence(old.id),
            supersedes=old.id,
        )
        changeset = Changeset(session_id=old.session_id, nodes=[draft])
        applied = self.store.graph.apply(old.project_id, changeset)
        return self.store.graph.get(applied.ids["successor"])

    def delete(self, project_id: int, item_ids: Sequence[int]) -> int:
        """Delete the listed items (all of the project, or NotFoundError before any change)
        with their links, evidence and vectors."""
        nodes = [self.get(item_id, project_id) for item_id in item_ids]
        return self.store.graph.delete([node.id for node in nodes]) if nodes else 0

    def _evidence(self, node: Node) -> list[Cited]:
        cited = []
        for evidence in self.store.graph.evidence(node.id):
            try:
                event: Event | None = self.store.events.get(evidence.event_id)
            except NotFoundError:
                event = None
            cited.append(Cited(event_id=evidence.event_id, quote=evidence.quote, event=event))
        return cited

    def _history(self, node: Node) -> list[HistoryEntry]:
        """What happened to the item, oldest first: created, merges, reinforcement, drift,
        supersession."""
        entries = [HistoryEntry(at=node.valid_from or node.created_at, what="created")]
        for merged in node.merged_from:
            entries.append(HistoryEntry(at=None, what=f"merged from item {merged}"))
        for link in self.store.graph.links(node.id, kinds=["supersedes"]):
            if link.src == node.id:
                older = self._linked(link.dst, "superseded")
                entries.append(
                    HistoryEntry(at=link.created_at, what="superseded an item", item=older)
                )
        if node.last_reinforced_at:
            entries.append(HistoryEntry(at=node.last_reinforced_at, what="reinforced (seen again)"))
        drift = node.data.get("drift")
        if isinstance(drift, dict):
            reason = f"drift check: {drift.get('reason')}"
            entries.append(HistoryEntry(at=drift.get("at"), what=reason))
        if node.superseded_by is not None:
            newer = self._linked(node.superseded_by, "superseded by")
            entries.append(HistoryEntry(at=node.valid_to, what="superseded", item=newer))
        return sorted(
            entries, key=lambda entry: entry.at if entry.at is not None else node.created_at
        )

    def _related(self, node: Node) -> list[LinkedItem]:
        related = []
        for link in self.store.graph.links(node.id, kinds=["related", "sibling"]):
            other = link.dst if link.src == node.id else link.src
            linked = self._linked(other, link.kind)
            if linked is not None and linked.kind in ITEM_KINDS:
                related.append(linked)
        return related

    def _neighbours(self, node: Node, evidence: Sequence[Cited]) -> list[Neighbour]:
        links = self.store.graph.links(node.id)
        others = {
            other.id: other
            for other in self.store.graph.get_many(
                sorted({link.dst if link.src == node.id else link.src for link in links})
            )
        }
        found = {}
        for link in links:
            other = others.get(link.dst if link.src == node.id else link.src)
            if other is not None and other.id not in found:
                found[other.id] = Neighbour(
                    group=_neighbour_group(link, node.id, other),
                    title=other.title or f"{other.kind} {other.id}",
                    kind=other.kind,
                    node_id=other.id,
                )
        # Tags written on the item that no tag node stands for yet (a scan's, a person's).
        linked_tags = {n.title for n in found.values() if n.group == "tag"}
        tags = [
            Neighbour(group="tag", title=tag, kind="tag")
            for tag in node.tags
            if tag not in linked_tags
        ]
        sessions = sorted({c.event.session_id for c in evidence if c.event is not None})
        shown = [*found.values(), *tags] + [
            Neighbour(group="evidence", title=f"Session {sid}", kind="session", session_id=sid)
            for sid in sessions
        ]
        return sorted(shown, key=lambda neighbour: NEIGHBOUR_GROUPS.index(neighbour.group))

    def _linked(self, node_id: int, relation: str) -> LinkedItem | None:
        try:
            other = self.store.graph.get(node_id)
        except NotFoundError:
            return None
        return LinkedItem(
            id=other.id,
            title=other.title or f"Item {other.id}",
            kind=other.kind,
            type=other.type,
            status=other.status,
            relation=relation,
        )


def item_filter(
    *,
    type: str | None = None,
    status: str | None = None,
    schema_key: str | None = None,
    tag: str | None = None,
    file: str | None = None,
    current: bool = True,
) -> ItemFilter:
    """The filter of an item listing, each value checked (ValidationError naming it)."""
    return ItemFilter(
        types=[_choice("type", type, ITEM_TYPES)] if type else None,
        statuses=[_choice("status", status, ITEM_STATUSES)] if status else None,
        schema_key_prefix=schema_key or None,
        tags=[tag] if tag else None,
        files=[file] if file else None,
        current=current,
    )


def field_errors(fields: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with each of ``fields`` (an item's editable fields), by field name."""
    errors: dict[str, str] = {}
    for name, value in fields.items():
        problem = _field_error(name, value)
        if problem:
            errors[name] = problem
    return errors


_GROUP_OF_KIND: dict[str, NeighbourGroup] = {"tag": "tag", "intent": "intent", "subgoal": "subgoal"}
_GROUP_OF_LINK: dict[str, NeighbourGroup] = {"related": "related", "sibling": "sibling"}


def _neighbour_group(link: Link, node_id: int, other: Node) -> NeighbourGroup:
    if link.kind == "supersedes":
        return "supersedes" if link.src == node_id else "superseded_by"
    # Else by what the other node is, then by the link; provenance leads to the steps and
    # sources the item came from.
    return _GROUP_OF_KIND.get(other.kind) or _GROUP_OF_LINK.get(link.kind) or "evidence"


def checked_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` normalised for storage (title stripped, schema key lowercased, empty key None);
    ValidationError naming the first field that is wrong."""
    values = {name: _normalised(name, value) for name, value in fields.items()}
    for name, problem in field_errors(values).items():
        raise ValidationError(f"{name}: {problem}", name)
    cleaned: dict[str, Any] = redact(values)  # a person's edit is stored text like any other
    return cleaned


def _field_error(name: str, value: Any) -> str | None:
    if name not in EDITABLE:
        return f"not an editable field (one of {', '.join(EDITABLE)})"
    if name == "title" and not (isinstance(value, str) and 0 < len(value) <= TITLE_MAX):
        return f"Title must be 1 to {TITLE_MAX} characters."
    if name == "body" and not (isinstance(value, str) and len(value) <= BODY_MAX):
        return f"Body must be text of at most {BODY_MAX} characters."
    if name == "type" and value not in ITEM_TYPES:
        return f"Type must be one of {', '.join(ITEM_TYPES)}."
    if name == "status" and value not in ITEM_STATUSES:
        return f"Status must be one of {', '.join(ITEM_STATUSES)}."
    if name == "schema_key" and value is not None and not _is_schema_key(value):
        return (
            "Schema key must be a path under root, such as root/backend/auth"
            " (lowercase letters, digits, '.', '_' or '-' between slashes)."
        )
    if name in ("confidence", "importance") and not _is_unit(value):
        return f"{name.capitalize()} must be a number from 0 to 1 (got {value!r})."
    if name in ("files", "tags") and not _is_text_list(value):
        return f"{name.capitalize()} must be a list of text."
    return None


def _normalised(name: str, value: Any) -> Any:
    if name == "title" and isinstance(value, str):
        return value.strip()
    if name == "schema_key" and isinstance(value, str):
        return value.strip().lower() or None
    return value


def _is_schema_key(value: Any) -> bool:
    return isinstance(value, str) and SCHEMA_KEY.match(value) is not None


def _is_unit(value: Any) -> bool:
    """A score from 0 to 1, or None (unset)."""
    if value is None:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(entry, str) for entry in value)


def _choice(field: str, value: Any, choices: Sequence[Any]) -> Any:
    if value not in choices:
        raise ValidationError(f"{field} must be one of {', '.join(choices)} (got {value!r})", field)
    return value


def _editable_of(node: Node) -> dict[str, Any]:
    return {name: getattr(node, name) for name in EDITABLE}
