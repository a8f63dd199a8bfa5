"""Tools over memory items: ``list_findings``, ``get_item``, ``approve``, ``deprecate``,
``update_item`` and ``forget``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from lore.domain.graph import ItemStatus, ItemType, Node
from lore.mcp.context import ToolContext, agent_errors, event_line

BODY_CHARS = 300
ItemId = Annotated[int, Field(ge=1, description="The item's id, from search or list_findings.")]


def register(server: MCPServer, tools: ToolContext) -> None:
    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def list_findings(
        type: Annotated[ItemType | None, Field(description="Only items of this type.")] = None,
        status: Annotated[
            ItemStatus | None,
            Field(description="Only items with this status (draft items await review)."),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=100, description="Items per page.")] = 20,
        offset: Annotated[int, Field(ge=0, description="Items to skip (paging).")] = 0,
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """List the project's memory items (decisions, conventions, bugs, todos, architecture,
        implementation notes), newest first, by type and status, a page at a time.

        Use it to review drafts (status "draft") or to see every open todo or known bug;
        use search instead to find items about a topic.
        """
        with agent_errors():
            project = tools.project(ctx)
            page = tools.lore.items(project, type=type, status=status, limit=limit, offset=offset)
        end = offset + len(page.items)
        return {
            "total": page.total,
            "offset": offset,
            "items": [item_summary(node) for node in page.items],
            "next_offset": end if end < page.total else None,
        }

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def get_item(item_id: ItemId, ctx: Context | None = None) -> dict[str, Any]:
        """One memory item in full: its whole text, the evidence it was built from (the events,
        with the words quoted from each), its history (edits, supersessions, drift) and the
        items linked to it.

        Use it when a search hit or a finding matters to the task and you need the whole of it.
        """
        with agent_errors():
            detail = tools.lore.item_detail(item_id, project=tools.project(ctx))
        return item_summary(detail.item, whole=True) | {
            "evidence": [
                {
                    "event_id": cited.event_id,
                    "quote": cited.quote,
                    "event": event_line(cited.event) if cited.event else None,
                }
                for cited in detail.evidence
            ],
            "history": [entry.model_dump(mode="json") for entry in detail.history],
            "related": [link.model_dump(mode="json") for link in detail.related],
        }

    @server.tool(annotations=ToolAnnotations(destructive_hint=False, idempotent_hint=True))
    def approve(item_id: ItemId, ctx: Context | None = None) -> dict[str, Any]:
        """Approve a memory item: the user confirmed it is right. Approved items rank first
        and are kept by maintenance. Call it only when the user agrees."""
        return _set_status(tools, ctx, item_id, "approved", None)

    @server.tool(annotations=ToolAnnotations(destructive_hint=True, idempotent_hint=True))
    def deprecate(
        item_id: ItemId,
        reason: Annotated[
            str, Field(max_length=500, description="Why it no longer holds (kept on the item).")
        ] = "",
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Deprecate a memory item that is wrong or outdated: it stops being recalled but is
        kept for history. Call it when the user agrees the item no longer holds."""
        return _set_status(tools, ctx, item_id, "deprecated", reason)

    @server.tool(annotations=ToolAnnotations(destructive_hint=False, idempotent_hint=True))
    def update_item(
        item_id: ItemId,
        title: Annotated[str | None, Field(min_length=3, max_length=200)] = None,
        body: Annotated[str | None, Field(max_length=8000)] = None,
        type: Annotated[ItemType | None, Field(description="The kind of knowledge.")] = None,
        files: Annotated[
            list[Annotated[str, Field(min_length=1, max_length=500)]] | None,
            Field(max_length=50, description="Repository-relative paths it is about."),
        ] = None,
        tags: Annotated[
            list[Annotated[str, Field(min_length=1, max_length=60)]] | None, Field(max_length=30)
        ] = None,
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Correct a memory item in place: its title, text, type, files or tags (only the
        fields given change). Call it when the user corrects what an item says; when the
        facts themselves changed, remember the new fact and deprecate the old item instead."""
        fields = {
            name: value
            for name, value in {
                "title": title, "body": body, "type": type, "files": files, "tags": tags,
            }.items()
            if value is not None
        }  # fmt: skip
        with agent_errors():
            return item_summary(
                tools.lore.edit_item(item_id, project=tools.project(ctx), **fields), whole=True
            )

    @server.tool(annotations=ToolAnnotations(destructive_hint=True, idempotent_hint=True))
    def forget(item_id: ItemId, ctx: Context | None = None) -> dict[str, Any]:
        """Delete a memory item for good, with its links and evidence (deprecate keeps it for
        history instead). Call it only when the user asks to forget it, for instance because
        it holds something that must not be kept."""
        with agent_errors():
            deleted = tools.lore.delete_items([item_id], project=tools.project(ctx))
        return {"deleted": deleted, "item_id": item_id}


def _set_status(
    tools: ToolContext,
    ctx: Context | None,
    item_id: int,
    status: Literal["approved", "deprecated"],
    reason: str | None,
) -> dict[str, Any]:
    with agent_errors():
        project = tools.project(ctx)
        [node] = tools.lore.set_item_status([item_id], status, project=project, reason=reason)
        return item_summary(node)


def item_summary(node: Node, *, whole: bool = False) -> dict[str, Any]:
    """An item as tools answer it; its body cut to ``BODY_CHARS`` unless ``whole``."""
    cut = not whole and len(node.body) > BODY_CHARS
    body = node.body[: BODY_CHARS - 1] + "…" if cut else node.body
    return {
        "id": node.id,
        "type": node.type,
        "status": node.status,
        "title": node.title,
        "body": body,
        "confidence": node.confidence,
        "files": node.files,
        "tags": node.tags,
        "schema_key": node.schema_key,
        "updated_at": node.updated_at,
    }
