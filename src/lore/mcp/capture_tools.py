"""Tools that write memory: ``save_session`` and ``remember``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from lore.domain import SessionState
from lore.mcp.context import ToolContext, agent_errors, enrichment

SOURCE = "mcp"
TextList = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=2000)]], Field(max_length=50)
]


def register(server: MCPServer, tools: ToolContext) -> None:
    @server.tool(annotations=ToolAnnotations(destructive_hint=False, idempotent_hint=True))
    def save_session(
        summary: Annotated[
            str,
            Field(min_length=10, max_length=4000, description="What was done, in a few sentences."),
        ],
        decisions: Annotated[
            TextList, Field(description="Decisions taken, each with its reason.")
        ] = [],  # noqa: B006
        changes: Annotated[TextList, Field(description="Changes made to the code or setup.")] = [],  # noqa: B006
        bugs: Annotated[TextList, Field(description="Bugs found or fixed, with the cause.")] = [],  # noqa: B006
        todos: Annotated[TextList, Field(description="Work left to do.")] = [],  # noqa: B006
        conventions: Annotated[TextList, Field(description="Conventions agreed on.")] = [],  # noqa: B006
        files: Annotated[
            TextList, Field(description="Files touched, relative to the repository.")
        ] = [],  # noqa: B006
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Save this session's summary and categorised changes to the project's memory.

        Call it ONLY when the user asks to save the session (e.g. "save this session",
        "remember what we did"). The summary becomes an event in a capture session, which is
        closed and enriched into memory items; the reply says whether enrichment started (with
        its job) or is pending (with the reason). Saving the same content twice stores it once.
        """
        categories = {
            "decisions": decisions,
            "changes": changes,
            "bugs": bugs,
            "todos": todos,
            "conventions": conventions,
        }
        payload = {"summary": summary, "files": files} | {k: v for k, v in categories.items() if v}
        with agent_errors():
            project = tools.project(ctx)
            result = tools.lore.capture_event(SOURCE, "session_save", payload, project=project)
            session = tools.lore.session(result.session_ids[0])
            if session.state is SessionState.COLLECTING:
                session = tools.lore.close(session.id)
            started = None if result.duplicates else enrichment(tools.lore, session.id)
        state = started["status"] if started else "already saved"
        return {
            "event_id": result.event_ids[0],
            "session_id": session.id,
            "duplicate": bool(result.duplicates),
            "enrichment": started or {"status": state},
            "message": f"Saved to session {session.id} of {project.name}; enrichment {state}.",
        }

    @server.tool(annotations=ToolAnnotations(destructive_hint=False, idempotent_hint=True))
    def remember(
        text: Annotated[
            str,
            Field(
                min_length=5,
                max_length=2000,
                description="One fact or convention, stated on its own (e.g. 'API handlers"
                " return problem+json errors').",
            ),
        ],
        kind: Annotated[
            Literal["convention", "decision", "architecture", "implementation", "bug", "todo"],
            Field(description="What kind of item it is."),
        ] = "convention",
        files: Annotated[TextList, Field(description="Files it applies to, if any.")] = [],  # noqa: B006
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Remember one explicit fact or convention the user stated, for every later session.

        Use it when the user says something should always hold ("we always...", "never...",
        "remember that..."). One call per fact.
        """
        payload = {"text": text, "kind": kind, "files": files}
        with agent_errors():
            project = tools.project(ctx)
            result = tools.lore.capture_event(SOURCE, "remember", payload, project=project)
        return {
            "event_id": result.event_ids[0],
            "session_id": result.session_ids[0],
            "duplicate": bool(result.duplicates),
            "message": f"Remembered in {project.name}; it becomes an item when the session is"
            " enriched.",
        }
