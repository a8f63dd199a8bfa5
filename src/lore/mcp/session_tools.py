"""Session tools for agent frameworks that drive lore's session engine step by step:
``start_session``, ``append``, ``close_session``, ``session_state``, ``recall_in_context``."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from lore.mcp.context import ToolContext, agent_errors
from lore.mcp.memory_tools import hit_summary

SOURCE = "mcp"
SessionId = Annotated[int, Field(ge=1, description="The id start_session returned.")]
StepText = Annotated[str, Field(min_length=1, max_length=8000)]


def register(server: MCPServer, tools: ToolContext) -> None:
    @server.tool(annotations=ToolAnnotations(destructive_hint=False))
    def start_session(
        goal: Annotated[
            str, Field(max_length=2000, description="What this session is meant to achieve.")
        ] = "",
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Start a memory session that collects your steps (observation, action) for later
        extraction into memory. Returns its id for append, close_session and session_state."""
        with agent_errors():
            project = tools.project(ctx)
            session_id = tools.lore.start_session(goal, project=project, source=SOURCE)
            return _state(tools, session_id)

    @server.tool(annotations=ToolAnnotations(destructive_hint=False))
    def append(
        session_id: SessionId,
        observation: Annotated[StepText, Field(description="What you saw (input, output, error).")],
        action: Annotated[StepText, Field(description="What you did in response.")],
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Add one step to a collecting session. Returns at once; the step is annotated
        (subgoal, state summary) in the background."""
        with agent_errors():
            tools.lore.session(session_id, project=tools.project(ctx))
            step_id = tools.lore.append_async(session_id, observation, action)
            return _state(tools, session_id) | {"step_id": step_id}

    @server.tool(annotations=ToolAnnotations(destructive_hint=False))
    def close_session(session_id: SessionId, ctx: Context | None = None) -> dict[str, Any]:
        """Close a session's open episode: extraction into memory starts (state "extracting",
        then "idle" once committed, or "ready" when the project waits for a commit). Queued
        when the session is busy."""
        with agent_errors():
            tools.lore.session(session_id, project=tools.project(ctx))
            operation = tools.lore.close_async(session_id)
            return _state(tools, session_id) | {"operation_id": operation}

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def session_state(session_id: SessionId, ctx: Context | None = None) -> dict[str, Any]:
        """A session's state (collecting, extracting, ready, idle or failed), its event count,
        `busy` (why close_session would wait now: append_in_progress, extraction_in_progress;
        null when it would not) and its recent operations with their outcomes."""
        with agent_errors():
            tools.lore.session(session_id, project=tools.project(ctx))
            operations = tools.lore.session_operations(session_id, limit=5)
            return _state(tools, session_id) | {
                "operations": [
                    {
                        "id": op.id,
                        "op": op.op,
                        "status": op.status,
                        "result": op.result,
                        "reason": op.reason,
                        "error": op.error,
                    }
                    for op in operations
                ]
            }

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def recall_in_context(
        session_id: SessionId,
        query: Annotated[str, Field(min_length=2, max_length=4000, description="What you need.")],
        limit: Annotated[int, Field(ge=1, le=50, description="Most results.")] = 10,
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Search memory with the query read in the session's context (its goal and last
        three steps), so a short query like "why did that fail" finds the right memories."""
        with agent_errors():
            project = tools.project(ctx)
            tools.lore.session(session_id, project=project)
            hits = tools.lore.recall_in_context(project, session_id, query, limit=limit)
        return {"hits": [hit_summary(hit) for hit in hits]}


def _state(tools: ToolContext, session_id: int) -> dict[str, Any]:
    session = tools.lore.session(session_id)
    return {
        "session_id": session.id,
        "state": session.state.value,
        "goal": session.goal,
        "events": session.event_count,
        "busy": tools.lore.session_busy(session.id),
    }
