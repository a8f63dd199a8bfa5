"""The HTTP server: ``build_app`` assembles the REST API with every mounted extension."""

from __future__ import annotations

from fastapi import FastAPI

from lore.core import Lore
from lore.server.app import Extension, create_app


def extensions() -> list[Extension]:
    """The parts mounted beside the REST API (dashboard, MCP over HTTP, in-process worker).

    Each is ``extend(app, lore)``: it adds routes and startup/shutdown hooks
    (``app.state.on_startup`` / ``app.state.on_shutdown``).
    """
    from lore.mcp.http import mount_mcp
    from lore.server import web, worker

    return [web.extend, mount_mcp, worker.extend]


def build_app(lore: Lore, *, token: str | None = None) -> FastAPI:
    return create_app(lore, token=token, extensions=extensions())


__all__ = ["build_app", "create_app", "extensions"]
