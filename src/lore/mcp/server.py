"""``build_server``: an ``MCPServer`` with lore's tools. Each tool module registers its tools
with ``register(server, tools)``; the tools validate input (their JSON schema), call the same
``Lore`` method as the CLI and REST API, and map errors through ``agent_errors``."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from lore.core import Lore
from lore.mcp import (
    capture_tools,
    item_tools,
    memory_tools,
    session_tools,
    source_tools,
)
from lore.mcp.context import ToolContext

INSTRUCTIONS = """\
lore is this project's long-term memory: decisions, conventions, architecture, known bugs and
todos extracted from past sessions, commits and scans.
- At the start of a task call get_memory (or context_pack with the task) and follow what it says.
- Before changing unfamiliar code, search for the files or the topic.
- When the user states a convention or a fact to keep, call remember.
- Call save_session only when the user asks to save the session."""


def build_server(lore: Lore, project: str | None = None) -> MCPServer:
    """The MCP server over ``lore``. With ``project`` every tool works on that project (stdio);
    without, each HTTP request names its project (``X-Lore-Project`` or ``?project=``) or the
    configured default is used."""
    server: MCPServer = MCPServer(
        "lore", instructions=INSTRUCTIONS, version="0.1.0", log_level="WARNING"
    )
    tools = ToolContext(lore, project)
    for module in (memory_tools, capture_tools, item_tools, source_tools, session_tools):
        module.register(server, tools)
    return server
