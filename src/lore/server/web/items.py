"""Memory items: the card every list shows, the item page (evidence, history, related items) and
the actions on items (status changes, edit, supersede, delete, bulk)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from lore.core import Lore
from lore.domain.graph import (
    ITEM_KINDS,
    ITEM_STATUSES,
    ITEM_TYPES,
    Changeset,
    Evidence,
    ItemStatus,
    Node,
    NodeDraft,
)
from lore.errors import NotFoundError, ValidationError
from lore.server.deps import LoreDep
from lore.server.web.present import BANDS, ConfidenceBand, SourceView, confidence_band, source_view
from lore.server.web.render import back, fragment, is_fragment_request, layout, respond
from lore.server.web.routing import page_router

router = page_router()

# Drafts below the "lower" band go to the Review tab.
LOW_CONFIDENCE = BANDS[-1][0]
TITLE_MAX = 200
SCHEMA_KEY = re.compile(r"^root(/[a-z0-9_.\-]+)*$")
# What each action button sets an item's status to.
ACTION_STATUS: dict[str, ItemStatus] = {
    "approve": "approved",
    "deprecate": "deprecated",
    "archive": "archived",
    "review": "review",
}
# Data keys that say what made an item, shown with its raw data rather than as notes.
PROVENANCE_DATA = ("extractor", "prompt_version", "written_by", "deep_enrich")
# Data keys that record why an item was set aside.
RETIRING_DATA = ("drift", "deprecated_reason")
BulkAction = Literal["approve", "deprecate", "archive", "delete"]


class ItemCard(BaseModel):
    id: int
    project: str
    kind: str
    type: str | None
    title: str
    body: str
    schema_key: str | None
    status: str | None
    confidence: float | None
    band: ConfidenceBand | None
    importance: float | None
    files: list[str]
    tags: list[str]
    session_id: int | None
    created_at: float
    updated_at: float
    superseded_by: int | None
    review_reason: str | None


class EvidenceView(BaseModel):
    event_id: int
    quote: str
    type: str | None
    source: SourceView | None
    session_id: int | None
    created_at: float | None
    payload: dict[str, Any] | None


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


class CodeFile(BaseModel):
    """What Deep Enrich read in one file the item names."""

    path: str
    routes: list[str]
    schemas: list[str]
    signatures: list[str]


class ItemPage(BaseModel):
    item: ItemCard
    notes: dict[str, str]
    code: list[CodeFile]
    other: dict[str, Any]
    evidence: list[EvidenceView]
    history: list[HistoryEntry]
    related: list[LinkedItem]


class EditValues(BaseModel):
    """The edit form as typed, so a bad value is shown back for correction."""

    title: str = ""
    body: str = ""
    type: str = ""
    status: str = ""
    schema_key: str = ""
    confidence: str = ""
    importance: str = ""
    files: str = ""
    tags: str = ""


class EditPage(BaseModel):
    item: ItemCard
    values: EditValues
    errors: dict[str, str] = {}
    types: list[str] = list(ITEM_TYPES)
    statuses: list[str] = list(ITEM_STATUSES)
    mode: Literal["edit", "supersede"] = "edit"


# Views


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: int, lore: LoreDep) -> Response:
    node = get_item(lore, item_id)
    project = lore.store.projects.get(node.project_id).name
    page = ItemPage(
        item=item_card(node, project),
        notes=_notes(node),
        code=_code(node),
        other=_other(node),
        evidence=_evidence(lore, node),
        history=_history(lore, node),
        related=_related(lore, node),
    )
    frame = layout(lore, node.title or f"Item {node.id}", "memory", project)
    return respond(request, "item.html", page, frame)


@router.get("/items/{item_id}/edit")
def edit_page(request: Request, item_id: int, lore: LoreDep) -> Response:
    node = get_item(lore, item_id)
    return _edit(request, lore, node, _values_of(node), {}, "edit")


@router.get("/items/{item_id}/supersede")
def supersede_page(request: Request, item_id: int, lore: LoreDep) -> Response:
    node = get_item(lore, item_id)
    return _edit(request, lore, node, _values_of(node), {}, "supersede")


@router.post("/items/{item_id}/edit")
def save_item(
    request: Request, item_id: int, lore: LoreDep, values: Annotated[EditValues, Form()]
) -> Response:
    node = get_item(lore, item_id)
    fields, errors = _parse(values)
    if errors:
        return _edit(request, lore, node, values, errors, "edit", status_code=422)
    lore.store.graph.update(node.id, **fields)
    if (fields["title"], fields["body"]) != (node.title, node.body):
        # The old vector describes the old text; recall embeds the item again when it is gone.
        lore.store.vectors.delete([node.id])
    return RedirectResponse(f"/items/{node.id}", status_code=303)


@router.post("/items/{item_id}/supersede")
def supersede(
    request: Request, item_id: int, lore: LoreDep, values: Annotated[EditValues, Form()]
) -> Response:
    """A person writes what holds now: a new item replaces the old one, whose validity ends."""
    node = get_item(lore, item_id)
    fields, errors = _parse(values)
    if node.session_id is None:
        errors["form"] = "This item has no session left to attach its successor to."
    if errors:
        return _edit(request, lore, node, values, errors, "supersede", status_code=422)
    new_id = _supersede(lore, node, fields)
    return RedirectResponse(f"/items/{new_id}", status_code=303)


@router.post("/items/{item_id}/status")
def change_status(
    request: Request, item_id: int, lore: LoreDep, action: Annotated[str, Form()]
) -> Response:
    node = get_item(lore, item_id)
    if action not in ACTION_STATUS:
        raise ValidationError(f"action must be one of {', '.join(ACTION_STATUS)}", "action")
    lore.store.graph.set_status([node.id], ACTION_STATUS[action])
    if not is_fragment_request(request):
        return back(request, f"/items/{node.id}")
    project = lore.store.projects.get(node.project_id).name
    card = item_card(lore.store.graph.get(node.id), project)
    return fragment(request, "_item.html", item=card, selectable=True, review=_in_review(request))


@router.post("/items/{item_id}/delete")
def delete_item(request: Request, item_id: int, lore: LoreDep) -> Response:
    node = get_item(lore, item_id)
    lore.store.graph.delete([node.id])
    if is_fragment_request(request):
        return HTMLResponse("")  # htmx swaps the card for nothing
    project = lore.store.projects.get(node.project_id).name
    return back(request, f"/projects/{project}/brain")


@router.post("/projects/{ref}/items/bulk")
def bulk(
    request: Request,
    ref: str,
    lore: LoreDep,
    action: Annotated[BulkAction, Form()],
    ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """One action on every checked item of the project."""
    project = lore.project(ref)
    chosen = lore.store.graph.get_many(ids or [])
    owned = [node.id for node in chosen if _is_item_of(node, project.id)]
    if owned and action == "delete":
        lore.store.graph.delete(owned)
    elif owned:
        lore.store.graph.set_status(owned, ACTION_STATUS[action])
    return back(request, f"/projects/{project.name}/brain")


# Building the contexts


def get_item(lore: Lore, item_id: int) -> Node:
    """A memory item (semantic or procedural node); NotFoundError for any other node."""
    node = lore.store.graph.get(item_id)
    if node.kind not in ITEM_KINDS:
        raise NotFoundError(f"no memory item with id {item_id}")
    return node


def item_card(node: Node, project: str) -> ItemCard:
    return ItemCard(
        id=node.id,
        project=project,
        kind=node.kind,
        type=node.type,
        title=node.title or f"Item {node.id}",
        body=node.body,
        schema_key=node.schema_key,
        status=node.status,
        confidence=node.confidence,
        band=confidence_band(node.confidence),
        importance=node.importance,
        files=node.files,
        tags=node.tags,
        session_id=node.session_id,
        created_at=node.created_at,
        updated_at=node.updated_at,
        superseded_by=node.superseded_by,
        review_reason=review_reason(node),
    )


def review_reason(node: Node) -> str | None:
    """Why an item needs a person: what drift check found, or its low confidence."""
    drift = node.data.get("drift")
    if node.status == "review" and isinstance(drift, dict):
        return str(drift.get("reason") or f"files changed in {drift.get('commit', 'a commit')}")
    if node.status == "review":
        return "sent to review"
    if node.status == "draft" and node.confidence is not None and node.confidence < LOW_CONFIDENCE:
        return f"low confidence ({node.confidence:.2f})"
    return None


def _notes(node: Node) -> dict[str, str]:
    """The item's worded fields (rationale, impact, a procedure's instruction...)."""
    return {
        key: value.strip()
        for key, value in node.data.items()
        if isinstance(value, str) and value.strip() and key not in PROVENANCE_DATA
    }


def _code(node: Node) -> list[CodeFile]:
    files = node.data.get("code")
    return [_code_file(entry) for entry in files or [] if isinstance(entry, dict)]


def _code_file(entry: dict[str, Any]) -> CodeFile:
    def listed(key: str) -> list[dict[str, Any]]:
        return [part for part in entry.get(key) or [] if isinstance(part, dict)]

    return CodeFile(
        path=str(entry.get("path", "")),
        routes=[
            f"{r.get('method', '')} {r.get('path', '')} → {r.get('handler', '')}"
            for r in listed("routes")
        ],
        schemas=[_schema_line(schema) for schema in listed("schemas")],
        signatures=[str(s.get("text") or s.get("name") or "") for s in listed("signatures")],
    )


def _schema_line(schema: dict[str, Any]) -> str:
    fields = ", ".join(
        f"{field.get('name')}: {field.get('type')}" if field.get("type") else str(field.get("name"))
        for field in schema.get("fields") or []
        if isinstance(field, dict)
    )
    return f"{schema.get('name')} ({schema.get('kind')}): {fields}"


def _other(node: Node) -> dict[str, Any]:
    """The rest of the item's data, shown as it is stored: what it was made by, and more."""
    shown = {"facts", "code", "drift"}
    return {
        key: value
        for key, value in node.data.items()
        if key not in shown and not (isinstance(value, str) and key not in PROVENANCE_DATA)
    }


def _evidence(lore: Lore, node: Node) -> list[EvidenceView]:
    views = []
    for cited in lore.store.graph.evidence(node.id):
        try:
            event = lore.store.events.get(cited.event_id)
        except NotFoundError:
            views.append(_missing_event(cited))
            continue
        views.append(
            EvidenceView(
                event_id=event.id,
                quote=cited.quote,
                type=event.type,
                source=source_view(event.source),
                session_id=event.session_id,
                created_at=event.occurred_at or event.created_at,
                payload=event.payload,
            )
        )
    return views


def _missing_event(cited: Evidence) -> EvidenceView:
    return EvidenceView(
        event_id=cited.event_id,
        quote=cited.quote,
        type=None,
        source=None,
        session_id=None,
        created_at=None,
        payload=None,
    )


def _history(lore: Lore, node: Node) -> list[HistoryEntry]:
    """What happened to the item, oldest first: created, merges, reinforcement, drift,
    supersession."""
    entries = [HistoryEntry(at=node.valid_from or node.created_at, what="created")]
    for merged in node.merged_from:
        entries.append(HistoryEntry(at=None, what=f"merged from item {merged}"))
    for link in lore.store.graph.links(node.id, kinds=["supersedes"]):
        if link.src == node.id:
            older = _linked(lore, link.dst, "superseded")
            entries.append(HistoryEntry(at=link.created_at, what="superseded an item", item=older))
    if node.last_reinforced_at:
        entries.append(HistoryEntry(at=node.last_reinforced_at, what="reinforced (seen again)"))
    drift = node.data.get("drift")
    if isinstance(drift, dict):
        entries.append(HistoryEntry(at=drift.get("at"), what=f"drift check: {drift.get('reason')}"))
    if node.superseded_by is not None:
        newer = _linked(lore, node.superseded_by, "superseded by")
        entries.append(HistoryEntry(at=node.valid_to, what="superseded", item=newer))
    return sorted(entries, key=lambda entry: entry.at if entry.at is not None else node.created_at)


def _related(lore: Lore, node: Node) -> list[LinkedItem]:
    related = []
    for link in lore.store.graph.links(node.id, kinds=["related", "sibling"]):
        other = link.dst if link.src == node.id else link.src
        linked = _linked(lore, other, link.kind)
        if linked is not None and linked.kind in ITEM_KINDS:
            related.append(linked)
    return related


def _linked(lore: Lore, node_id: int, relation: str) -> LinkedItem | None:
    try:
        other = lore.store.graph.get(node_id)
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


def _is_item_of(node: Node, project_id: int) -> bool:
    return node.project_id == project_id and node.kind in ITEM_KINDS


def _in_review(request: Request) -> bool:
    return "/review" in request.headers.get("hx-current-url", "")


# Editing


def _edit(
    request: Request,
    lore: Lore,
    node: Node,
    values: EditValues,
    errors: dict[str, str],
    mode: Literal["edit", "supersede"],
    status_code: int = 200,
) -> Response:
    project = lore.store.projects.get(node.project_id).name
    page = EditPage(item=item_card(node, project), values=values, errors=errors, mode=mode)
    title = f"{'Edit' if mode == 'edit' else 'Supersede'} item {node.id}"
    return respond(
        request,
        "item_edit.html",
        page,
        layout(lore, title, "memory", project),
        status_code=status_code,
    )


def _values_of(node: Node) -> EditValues:
    return EditValues(
        title=node.title,
        body=node.body,
        type=node.type or "",
        status=node.status or "draft",
        schema_key=node.schema_key or "",
        confidence="" if node.confidence is None else f"{node.confidence:g}",
        importance="" if node.importance is None else f"{node.importance:g}",
        files="\n".join(node.files),
        tags=", ".join(node.tags),
    )


def _parse(values: EditValues) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields to store and, by field, what is wrong with the form."""
    errors: dict[str, str] = {}
    title = values.title.strip()
    if not title or len(title) > TITLE_MAX:
        errors["title"] = f"Title must be 1 to {TITLE_MAX} characters."
    if values.type not in ITEM_TYPES:
        errors["type"] = f"Type must be one of {', '.join(ITEM_TYPES)}."
    if values.status not in ITEM_STATUSES:
        errors["status"] = f"Status must be one of {', '.join(ITEM_STATUSES)}."
    key = values.schema_key.strip().lower()
    if key and not SCHEMA_KEY.match(key):
        errors["schema_key"] = (
            "Schema key must be a path under root, such as root/backend/auth"
            " (lowercase letters, digits, '.', '_' or '-' between slashes)."
        )
    scores = {name: _unit(values, name, errors) for name in ("confidence", "importance")}
    facts = [line.strip() for line in values.body.splitlines() if line.strip()]
    fields: dict[str, Any] = {
        "title": title,
        "body": "\n".join(facts),
        "type": values.type,
        "status": values.status,
        "schema_key": key or None,
        "files": [line.strip() for line in values.files.splitlines() if line.strip()],
        "tags": [tag.strip() for tag in values.tags.split(",") if tag.strip()],
        **scores,
    }
    return fields, errors


def _unit(values: EditValues, name: str, errors: dict[str, str]) -> float | None:
    """A score from 0 to 1, or None when left empty."""
    text = str(getattr(values, name)).strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        errors[name] = f"{name.capitalize()} must be a number from 0 to 1 (got {text!r})."
    return value


def _supersede(lore: Lore, old: Node, fields: dict[str, Any]) -> int:
    """Apply a one-item changeset whose draft supersedes ``old``; keeps its evidence."""
    assert old.session_id is not None
    draft = NodeDraft(
        ref="successor",
        kind=old.kind,
        title=fields["title"],
        body=fields["body"],
        type=fields["type"],
        status=fields["status"],
        schema_key=fields["schema_key"],
        confidence=fields["confidence"],
        importance=fields["importance"],
        files=fields["files"],
        tags=fields["tags"],
        data=_kept_data(old) | {"facts": fields["body"].splitlines(), "written_by": "dashboard"},
        evidence=lore.store.graph.evidence(old.id),
        supersedes=old.id,
    )
    changeset = Changeset(session_id=old.session_id, nodes=[draft])
    applied = lore.store.graph.apply(old.project_id, changeset)
    return applied.ids["successor"]


def _kept_data(old: Node) -> dict[str, Any]:
    """What a successor inherits of its predecessor's data: not the flags that retired it."""
    return {key: value for key, value in old.data.items() if key not in RETIRING_DATA}
