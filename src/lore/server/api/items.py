"""Memory items: list, show (with evidence and history), change, bulk actions, delete.

``project`` (name or id) scopes every call, the server's own project when the request names
none; an item of another project is 404.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from lore.domain.graph import ItemStatus, ItemType, Node
from lore.domain.models import RecordId
from lore.items import ItemDetail, ItemPage
from lore.server.deps import Id, LoreDep, Offset, ProjectDep

router = APIRouter(tags=["items"])

# What each bulk action sets an item's status to (``delete`` deletes).
BULK_STATUS: dict[str, ItemStatus] = {
    "approve": "approved",
    "deprecate": "deprecated",
    "archive": "archived",
}


class ItemPatch(BaseModel):
    """The fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    status: ItemStatus | None = None
    title: str | None = None
    body: str | None = None
    type: ItemType | None = None
    schema_key: str | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    importance: float | None = Field(default=None, ge=0.0, le=1.0)
    tags: list[str] | None = None
    files: list[str] | None = None


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["approve", "deprecate", "archive", "delete"]
    ids: list[RecordId] = Field(min_length=1, max_length=1000)
    # Why the items no longer hold: kept on each deprecated item.
    reason: str | None = Field(default=None, max_length=500)


class BulkOut(BaseModel):
    action: str
    changed: int


@router.get("/items")
def list_items(
    lore: LoreDep,
    project: str | None = None,
    type: str | None = None,
    status: str | None = None,
    schema_key: str | None = None,
    tag: str | None = None,
    file: str | None = None,
    include_superseded: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> ItemPage:
    return lore.items(
        project,
        type=type,
        status=status,
        schema_key=schema_key,
        tag=tag,
        file=file,
        current=not include_superseded,
        limit=limit,
        offset=offset,
    )


@router.get("/items/{item_id}")
def show_item(item_id: Id, lore: LoreDep, project: ProjectDep) -> ItemDetail:
    return lore.item_detail(item_id, project=project)


@router.patch("/items/{item_id}")
def update_item(item_id: Id, body: ItemPatch, lore: LoreDep, project: ProjectDep) -> Node:
    # Only what the request names changes; an explicit null clears a nullable field.
    fields: dict[str, Any] = body.model_dump(exclude_unset=True)
    return lore.edit_item(item_id, project=project, **fields)


@router.post("/items/bulk")
def bulk(body: Annotated[BulkIn, Body()], lore: LoreDep, project: ProjectDep) -> BulkOut:
    """One action on every listed item of the project: all are the project's items, or 404
    and nothing changes."""
    if body.action == "delete":
        changed = lore.delete_items(body.ids, project=project)
    else:
        status = BULK_STATUS[body.action]
        reason = body.reason if body.action == "deprecate" else None
        changed = len(lore.set_item_status(body.ids, status, project=project, reason=reason))
    return BulkOut(action=body.action, changed=changed)


@router.delete("/items/{item_id}", status_code=204)
def delete_item(item_id: Id, lore: LoreDep, project: ProjectDep) -> None:
    lore.delete_items([lore.item(item_id, project=project).id], project=project)
