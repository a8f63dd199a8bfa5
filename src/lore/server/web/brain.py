"""The Memory page's Brain tab (items by schema key, filters, recall search) and Review tab
(items flagged by drift check or of low confidence)."""

from __future__ import annotations

import dataclasses

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from lore.domain import Project
from lore.domain.graph import ITEM_KINDS, ITEM_STATUSES, ITEM_TYPES
from lore.items import item_filter
from lore.recall.models import matched_by
from lore.recall.service import recall_request
from lore.server.deps import LoreDep
from lore.server.web.items import LOW_CONFIDENCE, ItemCard, item_card
from lore.server.web.render import layout, page_window, respond
from lore.server.web.routing import page_router
from lore.store.base import ItemFilter

router = page_router()

PAGE_SIZE = 25
SEARCH_LIMIT = 50


class TreeNode(BaseModel):
    """One schema-key segment: its full key, its items and its descendants' items."""

    key: str
    label: str
    count: int
    children: list[TreeNode] = []


class BrainPage(BaseModel):
    project: str
    items: list[ItemCard]
    total: int
    page: int
    pages: int
    type: str | None
    status: str | None
    key: str | None
    q: str | None
    # False when a search found nothing by its words and nothing close in meaning.
    good_match: bool
    types: list[str]
    statuses: list[str]
    tree: list[TreeNode]
    without_key: int


class ReviewPage(BaseModel):
    project: str
    items: list[ItemCard]
    total: int
    page: int
    pages: int
    below_confidence: float


@router.get("/projects/{ref}/brain")
def brain_tab(
    request: Request,
    ref: str,
    lore: LoreDep,
    type: str | None = None,
    status: str | None = None,
    key: str | None = None,
    q: str | None = None,
    page: int = 1,
) -> Response:
    project = lore.project(ref)
    type, status, key, q = type or None, status or None, key or None, (q or "").strip() or None
    where = item_filter(type=type, status=status, schema_key=key)
    good = True
    if q:
        cards, good = _search(lore, project, q, where)
        total, page, pages = len(cards), 1, 1
    else:
        total = lore.store.graph.count_items(project.id, where)
        page, pages = page_window(page, total, PAGE_SIZE)
        found = lore.store.graph.items(
            project.id, where, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        cards = [item_card(node, project.name) for node in found]
    keys = lore.store.overview.schema_keys(
        project.id, dataclasses.replace(where, schema_key_prefix=None)
    )
    context = BrainPage(
        project=project.name,
        items=cards,
        total=total,
        page=page,
        pages=pages,
        type=type,
        status=status,
        key=key,
        q=q,
        good_match=good,
        types=list(ITEM_TYPES),
        statuses=list(ITEM_STATUSES),
        tree=schema_tree(keys),
        without_key=keys.get("", 0),
    )
    frame = layout(lore, f"{project.name} · brain", "memory", project.name)
    return respond(request, "brain.html", context, frame, fragment="_brain_items.html")


@router.get("/projects/{ref}/review")
def review_tab(request: Request, ref: str, lore: LoreDep, page: int = 1) -> Response:
    project = lore.project(ref)
    overview = lore.store.overview
    total = overview.count_review_items(project.id, below_confidence=LOW_CONFIDENCE)
    page, pages = page_window(page, total, PAGE_SIZE)
    found = overview.review_items(
        project.id,
        below_confidence=LOW_CONFIDENCE,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    context = ReviewPage(
        project=project.name,
        items=[item_card(node, project.name) for node in found],
        total=total,
        page=page,
        pages=pages,
        below_confidence=LOW_CONFIDENCE,
    )
    frame = layout(lore, f"{project.name} · review", "memory", project.name)
    return respond(request, "review.html", context, frame)


def schema_tree(counts: dict[str, int]) -> list[TreeNode]:
    """A tree of schema keys (``root/backend/auth``) from item counts per full key; each
    node counts its own items and its descendants'. Items without a key are left out."""
    roots: list[TreeNode] = []
    for full_key, count in sorted(counts.items()):
        if not full_key:
            continue
        level, path = roots, []
        for segment in full_key.strip("/").split("/"):
            path.append(segment)
            node = next((child for child in level if child.label == segment), None)
            if node is None:
                node = TreeNode(key="/".join(path), label=segment, count=0)
                level.append(node)
            node.count += count
            level = node.children
    return roots


def _search(
    lore: LoreDep, project: Project, query: str, where: ItemFilter
) -> tuple[list[ItemCard], bool]:
    """Recall over the project's items with the tab's filters, best first, each with its
    score and what found it, and whether any is a good match. Browsing the dashboard is not
    use: it leaves the items' access counts alone."""
    request = recall_request(
        query,
        limit=SEARCH_LIMIT,
        types=where.types,
        statuses=where.statuses,
        schema_key=where.schema_key_prefix,
        include_events=False,
    )
    hits = lore.recall_service.search(project, dataclasses.replace(request, record_access=False))
    items = [hit for hit in hits if hit.kind in ITEM_KINDS]
    nodes = {node.id: node for node in lore.store.graph.get_many([hit.id for hit in items])}
    cards = [
        item_card(nodes[hit.id], project.name).model_copy(
            update={"score": hit.score, "matched": matched_by(hit)}
        )
        for hit in items
        if hit.id in nodes
    ]
    return cards, lore.recall_service.good_match(items)
