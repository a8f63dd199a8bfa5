"""The MCP server: lore's memory as tools for agents, over stdio (``lore mcp``) and streamable
HTTP (mounted at ``/mcp`` by ``lore serve``)."""

from lore.mcp.server import build_server

__all__ = ["build_server"]
