"""Tools about projects and what happened in them: ``list_projects``, ``recent_activity`` and
``enrich_session``."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from lore.mcp.context import ToolContext, agent_errors, enrichment
from lore.mcp.item_tools import item_summary

READ_ONLY = ToolAnnotations(read_only_hint=True)


def register(server: MCPServer, tools: ToolContext) -> None:
    @server.tool(annotations=READ_ONLY)
    def list_projects() -> dict[str, Any]:
        """The projects lore keeps memory for, with their repository and how many memory
        items each holds. Tools work on this server's project; over HTTP a request names
        another with the X-Lore-Project header or ?project=."""
        with agent_errors():
            projects = tools.lore.projects()
            counts = tools.lore.store.overview.item_counts()
        return {
            "projects": [
                {"name": p.name, "repo": p.repo, "items": counts.get(p.id, 0)} for p in projects
            ]
        }

    @server.tool(annotations=READ_ONLY)
    def recent_activity(
        limit: Annotated[int, Field(ge=1, le=50, description="Sessions and items each.")] = 10,
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """What happened lately in this project: the latest sessions (agent sessions, commits,
        saves, scans) with their goal, state and what they produced, and the memory items
        created or changed most recently.

        Use it to pick up where the last session left off."""
        with agent_errors():
            project = tools.project(ctx)
            sessions = tools.lore.sessions(project, limit=limit)
            items = tools.lore.items(project, limit=limit).items
        return {
            "project": project.name,
            "sessions": [
                {
                    "id": s.id,
                    "source": s.source,
                    "goal": s.goal,
                    "status": s.status.value,
                    "events": s.event_count,
                    "items": s.items_extracted,
                    "created_at": s.created_at,
                    "last_event_at": s.last_event_at,
                }
                for s in sessions
            ],
            "items": [item_summary(node) for node in items],
        }

    @server.tool(annotations=READ_ONLY)
    def timeline(
        item_id: Annotated[
            int | None, Field(ge=1, description="The events around this item's evidence.")
        ] = None,
        session_id: Annotated[
            int | None, Field(ge=1, description="The last events of this session.")
        ] = None,
        around: Annotated[
            str | None, Field(description="The events nearest this time (ISO 8601).")
        ] = None,
        size: Annotated[int, Field(ge=1, le=200, description="How many events.")] = 10,
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """The captured events around a memory item, a session or a time, in order, one line
        each with what reading it costs (`tokens`). Give exactly one of item_id, session_id,
        around.

        Read memory a little at a time: search (compact) for ids, then the timeline around
        the hit that matters, then get_item for that item in full with its evidence."""
        with agent_errors():
            entries = tools.lore.timeline(
                tools.project(ctx), item=item_id, session=session_id, around=around, size=size
            )
        return {"events": [entry.model_dump() for entry in entries]}

    @server.tool(annotations=ToolAnnotations(destructive_hint=False, idempotent_hint=True))
    def enrich_session(
        session_id: Annotated[int, Field(ge=1, description="From recent_activity.")],
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Turn a session's events into memory items now (Generate Memory), instead of waiting
        for lore to do it by itself. The reply says whether enrichment started, with its job."""
        with agent_errors():
            tools.lore.session(session_id, project=tools.project(ctx))
        return {"session_id": session_id, "enrichment": enrichment(tools.lore, session_id)}
