"""Tools that read the repository into memory: ``git_digest``, ``scan`` and ``drift_check``.
They work on the project's linked repository (else the server's working folder); an agent cannot
point them at other folders."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from lore.mcp.context import ToolContext, agent_errors, enrichment
from lore.mcp.item_tools import item_summary


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

    @server.tool(annotations=ToolAnnotations(destructive_hint=False))
    def drift_check(
        run: Annotated[
            bool,
            Field(
                description="True: capture new commits and check memory against them first."
                " False: only list what earlier checks flagged."
            ),
        ] = False,
        limit: Annotated[int, Field(ge=1, le=100, description="Most flagged items listed.")] = 20,
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Find memory items that commits made stale: items whose files changed after they
        were written are flagged for review, and bugs or todos a fix commit resolved are
        archived.

        With run=true the commits since the last digest are captured and enriched; the check
        runs in that enrichment job (call drift_check again once it finished). The reply lists
        the items flagged for review with the commit and the reason.
        """
        with agent_errors():
            project = tools.project(ctx)
            reply: dict[str, Any] = {}
            if run:
                digest = tools.lore.digest(project=project)
                reply["digest"] = digest.message or f"{digest.captured} new commits"
                if digest.captured and digest.session_id is not None:
                    reply["enrichment"] = enrichment(tools.lore, digest.session_id)
            nodes = tools.lore.items(project, status="review", limit=limit).items
        flagged = [node for node in nodes if isinstance(node.data.get("drift"), dict)]
        return reply | {
            "flagged": [item_summary(node) | {"drift": node.data["drift"]} for node in flagged]
        }
