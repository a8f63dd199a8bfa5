"""The web dashboard: server-rendered Jinja2 pages with htmx, mounted beside the REST API.

Every page builds a typed context (a pydantic model) and serves it as HTML, as an htmx fragment,
or as JSON with ``?format=json``. Static files (css, js, icons, the vendored htmx) are served
from ``/static`` so the dashboard works offline.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from lore.core import Lore

STATIC_DIR = Path(__file__).parent / "static"


def extend(app: FastAPI, lore: Lore) -> None:
    """Mount the dashboard: its pages at ``/`` and its static files at ``/static``."""
    from lore.server.web import activity, brain, items, login, operations, projects, sessions

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (login, projects, sessions, brain, activity, items, operations):
        app.include_router(module.router)


__all__ = ["extend"]
