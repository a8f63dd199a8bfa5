"""The MCP server over streamable HTTP at ``/mcp``, as an extension of the REST app: the app's
token middleware guards it like ``/api``, and the SDK's session manager runs for the app's
lifetime (started by the app's startup hooks, stopped by its shutdown hooks, in the same task,
as its task group requires)."""

from __future__ import annotations

from contextlib import AsyncExitStack

from fastapi import FastAPI
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route

from lore.core import Lore
from lore.mcp.server import build_server

PATH = "/mcp"


def mount_mcp(app: FastAPI, lore: Lore) -> None:
    """Serve MCP at ``/mcp``; a request names its project with ``X-Lore-Project`` or
    ``?project=`` (default: the configured project)."""
    server = build_server(lore)
    # Builds the session manager. The SDK's DNS-rebinding check is off: the bearer token already
    # guards /mcp, and the check would refuse a server bound to another address than 127.0.0.1.
    server.streamable_http_app(
        streamable_http_path=PATH,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    manager = server.session_manager
    app.router.routes.append(Route(PATH, endpoint=StreamableHTTPASGIApp(manager)))
    stack = AsyncExitStack()

    async def start() -> None:
        await stack.enter_async_context(manager.run())

    async def stop() -> None:
        await stack.aclose()

    app.state.on_startup.append(start)
    app.state.on_shutdown.append(stop)
