"""Tools that read the repository into memory: ``git_digest`` and ``scan``. Both work on the
project's linked repository (else the server's working folder); an agent cannot point them at
other folders."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations

from lore.mcp.context import ToolContext, agent_errors


def register(server: MCPServer, tools: ToolContext) -> None:
    @server.tool(annotations=ToolAnnotations(destructive_hint=False, idempotent_hint=True))
    def git_digest(ctx: Context | None = None) -> dict[str, Any]:
        """Capture the git commits made since the last digest (the last 20 on the first run)
        as memory events: messages, changed files and trimmed diffs.

        Call it after commits were made outside this session, or when get_memory seems to
        miss recent work. Running it again with no new commits captures nothing.
        """
        with agent_errors():
            return tools.lore.digest(project=tools.project(ctx)).as_dict()

    @server.tool(annotations=ToolAnnotations(destructive_hint=False, idempotent_hint=True))
    def scan(ctx: Context | None = None) -> dict[str, Any]:
        """Scan the repository (languages, manifests and dependencies, layout, entry points)
        and capture the description as one memory event.

        Call it once when the project's memory is empty, or after large structural changes.
        """
        with agent_errors():
            result = tools.lore.scan(project=tools.project(ctx))
        return result.as_dict()
