"""Memory items: the card every list shows, the item page (evidence, history, related items) and
the actions on items (status changes, edit, supersede, delete, bulk)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from lore.core import Lore
from lore.domain import Project
from lore.domain.graph import ITEM_STATUSES, ITEM_TYPES, ItemStatus, Node
from lore.errors import ValidationError
from lore.items import Cited, HistoryEntry, LinkedItem, field_errors
from lore.server.deps import Id, LoreDep, PageScope
from lore.server.web.picture import Picture, neighbourhood
from lore.server.web.present import BANDS, ConfidenceBand, SourceView, confidence_band, source_view
from lore.server.web.render import back, fragment, is_fragment_request, layout, respond
from lore.server.web.routing import page_router

router = page_router()

# Drafts below the "lower" band go to the Review tab.
LOW_CONFIDENCE = BANDS[-1][0]
# What each action button sets an item's status to.
ACTION_STATUS: dict[str, ItemStatus] = {
    "approve": "approved",
    "deprecate": "deprecated",
    "archive": "archived",
    "review": "review",
}
# Data keys that say what made an item, shown with its raw data rather than as notes.
PROVENANCE_DATA = ("extractor", "prompt_version", "written_by", "deep_enrich")
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
    # Set for a search result: its score and what found it (words, identifier, meaning, graph).
    score: float | None = None
    matched: list[str] = []


class EvidenceView(BaseModel):
    event_id: int
    quote: str
    type: str | None
    source: SourceView | None
    session_id: int | None
    created_at: float | None
    payload: dict[str, Any] | None


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
    picture: Picture


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
def item_page(request: Request, item_id: Id, lore: LoreDep, scope: PageScope = None) -> Response:
    detail = lore.item_detail(item_id, project=scope)
    node = detail.item
    project = lore.store.projects.get(node.project_id).name
    page = ItemPage(
        item=item_card(node, project),
        notes=_notes(node),
        code=_code(node),
        other=_other(node),
        evidence=[_evidence_view(cited) for cited in detail.evidence],
        history=detail.history,
        related=detail.related,
        picture=neighbourhood(node.title or f"Item {node.id}", detail.neighbours, project),
    )
    frame = layout(lore, node.title or f"Item {node.id}", "memory", project)
    return respond(request, "item.html", page, frame)


@router.get("/items/{item_id}/edit")
def edit_page(request: Request, item_id: Id, lore: LoreDep, scope: PageScope = None) -> Response:
    node = lore.item(item_id, project=scope)
    return _edit(request, lore, node, _values_of(node), {}, "edit")


@router.get("/items/{item_id}/supersede")
def supersede_page(
    request: Request, item_id: Id, lore: LoreDep, scope: PageScope = None
) -> Response:
    node = lore.item(item_id, project=scope)
    return _edit(request, lore, node, _values_of(node), {}, "supersede")


@router.post("/items/{item_id}/edit")
def save_item(
    request: Request,
    item_id: Id,
    lore: LoreDep,
    values: Annotated[EditValues, Form()],
    scope: PageScope = None,
) -> Response:
    node = lore.item(item_id, project=scope)
    fields, errors = _parse(values)
    if errors:
        return _edit(request, lore, node, values, errors, "edit", status_code=422)
    lore.edit_item(node.id, **fields)
    return RedirectResponse(f"/items/{node.id}", status_code=303)


@router.post("/items/{item_id}/supersede")
def supersede(
    request: Request,
    item_id: Id,
    lore: LoreDep,
    values: Annotated[EditValues, Form()],
    scope: PageScope = None,
) -> Response:
    """A person writes what holds now: a new item replaces the old one, whose validity ends."""
    node = lore.item(item_id, project=scope)
    fields, errors = _parse(values)
    if node.session_id is None:
        errors["form"] = "This item has no session left to attach its successor to."
    if errors:
        return _edit(request, lore, node, values, errors, "supersede", status_code=422)
    successor = lore.supersede_item(node.id, written_by="dashboard", **fields)
    return RedirectResponse(f"/items/{successor.id}", status_code=303)


@router.post("/items/{item_id}/status")
def change_status(
    request: Request,
    item_id: Id,
    lore: LoreDep,
    action: Annotated[str, Form()],
    scope: PageScope = None,
) -> Response:
    node = lore.item(item_id, project=scope)
    if action not in ACTION_STATUS:
        raise ValidationError(f"action must be one of {', '.join(ACTION_STATUS)}", "action")
    project = lore.store.projects.get(node.project_id)
    [changed] = lore.set_item_status([node.id], ACTION_STATUS[action], project=project)
    if not is_fragment_request(request):
        return back(request, f"/items/{node.id}")
    card = item_card(changed, project.name)
    if _in_review(request):  # the tab's count changes with the item
        return fragment(request, "_review_item.html", item=card, **_review_count(lore, project))
    return fragment(request, "_item.html", item=card, selectable=True, review=False)


@router.post("/items/{item_id}/delete")
def delete_item(request: Request, item_id: Id, lore: LoreDep, scope: PageScope = None) -> Response:
    node = lore.item(item_id, project=scope)
    project = lore.store.projects.get(node.project_id)
    lore.delete_items([node.id], project=project)
    if is_fragment_request(request) and _in_review(request):  # the card goes, the count follows
        return fragment(request, "_review_count.html", oob=True, **_review_count(lore, project))
    if is_fragment_request(request):
        return HTMLResponse("")  # htmx swaps the card for nothing
    return back(request, f"/projects/{project.name}/brain")


@router.post("/projects/{ref}/items/bulk")
def bulk(
    request: Request,
    ref: str,
    lore: LoreDep,
    action: Annotated[BulkAction, Form()],
    ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """One action on every checked item of the project (an id of another project: 404 and
    nothing changes)."""
    project = lore.project(ref)
    if action == "delete":
        lore.delete_items(ids or [], project=project)
    else:
        lore.set_item_status(ids or [], ACTION_STATUS[action], project=project)
    return back(request, f"/projects/{project.name}/brain")


# Building the contexts


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


def _evidence_view(cited: Cited) -> EvidenceView:
    event = cited.event
    if event is None:  # deleted since the item was made
        return EvidenceView(
            event_id=cited.event_id,
            quote=cited.quote,
            type=None,
            source=None,
            session_id=None,
            created_at=None,
            payload=None,
        )
    return EvidenceView(
        event_id=event.id,
        quote=cited.quote,
        type=event.type,
        source=source_view(event.source),
        session_id=event.session_id,
        created_at=event.occurred_at or event.created_at,
        payload=event.payload,
    )


def _in_review(request: Request) -> bool:
    return "/review" in request.headers.get("hx-current-url", "")


def _review_count(lore: LoreDep, project: Project) -> dict[str, Any]:
    total = lore.store.overview.count_review_items(project.id, below_confidence=LOW_CONFIDENCE)
    return {"total": total, "below_confidence": LOW_CONFIDENCE}


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
    facts = [line.strip() for line in values.body.splitlines() if line.strip()]
    fields: dict[str, Any] = {
        "title": values.title.strip(),
        "body": "\n".join(facts),
        "type": values.type,
        "status": values.status,
        "schema_key": values.schema_key.strip().lower() or None,
        "confidence": _number(values.confidence),
        "importance": _number(values.importance),
        "files": [line.strip() for line in values.files.splitlines() if line.strip()],
        "tags": [tag.strip() for tag in values.tags.split(",") if tag.strip()],
    }
    return fields, field_errors(fields)


def _number(text: str) -> float | str | None:
    """The number typed, None when left empty, or the text itself when it is not a number
    (validation then names the field)."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text
