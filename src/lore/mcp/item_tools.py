"""Tools over memory items: ``list_findings``, ``approve`` and ``deprecate``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from lore.domain.graph import ItemStatus, ItemType, Node
from lore.mcp.context import ToolContext, agent_errors

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


def item_summary(node: Node) -> dict[str, Any]:
    body = node.body if len(node.body) <= BODY_CHARS else node.body[: BODY_CHARS - 1] + "…"
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
