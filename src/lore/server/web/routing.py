"""The dashboard's routes: requests that change something are checked for forgery first
(``guard``); lore's errors become an HTML error page; ``?format=json`` requests keep the REST
API's JSON error shape."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from lore import errors
from lore.server.app import STATUS_OF_ERROR
from lore.server.web.guard import refuse_forgery
from lore.server.web.render import Layout, respond, wants_json


class ErrorPage(BaseModel):
    status: int
    kind: str
    message: str


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                await refuse_forgery(request)
                return await handler(request)
            except errors.LoreError as exc:
                if wants_json(request):
                    raise
                return error_page(request, exc)

        return handle


def page_router() -> APIRouter:
    """A router for dashboard pages: kept out of the OpenAPI schema, errors shown as pages."""
    return APIRouter(include_in_schema=False, route_class=PageRoute)


def error_page(request: Request, exc: errors.LoreError) -> Response:
    status = next((code for kind, code in STATUS_OF_ERROR if isinstance(exc, kind)), 400)
    page = ErrorPage(status=status, kind=type(exc).__name__, message=str(exc))
    frame = Layout(title="Error", section="projects")
    return respond(request, "error.html", page, frame, status_code=status)
