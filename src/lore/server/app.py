"""The FastAPI application: REST under ``/api/v1``, behind the token.

Each resource has its own router module in ``lore.server.api``; ``create_app`` mounts them.
Errors from lore map to JSON ``{"error": {"type", "message", "field"}}`` with a 4xx status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from lore import errors
from lore.core import Lore
from lore.server.auth import authenticated, with_security_headers
from lore.server.errors import error_response
from lore.server.limits import BodyLimits
from lore.server.logins import Logins
from lore.token import ensure_token

# Paths reachable without the token.
PUBLIC_PREFIXES = ("/health", "/login", "/static/")

STATUS_OF_ERROR: list[tuple[type[errors.LoreError], int]] = [
    (errors.ValidationError, 422),
    (errors.NotFoundError, 404),
    (errors.ForbiddenError, 403),
    (errors.SessionError, 409),
    (errors.ConflictError, 409),
    (errors.ProviderError, 502),
    # The database is down or restarting: nothing was accepted, the client may send it again.
    (errors.StoreError, 503),
    # Not the server failing: this lore is not set up for the request (ask without an LLM).
    (errors.NotConfiguredError, 409),
    (errors.ConfigError, 500),
]

# Extra routers and lifespan hooks contributed by other parts (dashboard, MCP, worker).
Extension = Callable[[FastAPI, Lore], None]


def create_app(
    lore: Lore, *, token: str | None = None, extensions: list[Extension] | None = None
) -> FastAPI:
    expected = token or ensure_token(lore.settings.token_path)
    startup: list[Callable[[], Any]] = []
    shutdown: list[Callable[[], Any]] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in startup:
            await _maybe_await(hook())
        yield
        for hook in reversed(shutdown):
            await _maybe_await(hook())

    app = FastAPI(
        title="lore",
        version="0.1.0",
        description="Long-term memory for AI coding agents. Every endpoint but /health needs"
        " `Authorization: Bearer <token>` (`lore token` prints it).",
        lifespan=lifespan,
    )
    app.state.lore = lore
    app.state.token = expected
    app.state.logins = Logins()
    app.state.on_startup = startup
    app.state.on_shutdown = shutdown

    app.add_middleware(BodyLimits)  # inside the token check: strangers are not read at all

    @app.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Response:
        path = request.url.path
        response: Response
        if path.startswith(PUBLIC_PREFIXES) or authenticated(request, expected, app.state.logins):
            response = await call_next(request)
        elif path.startswith(("/api/", "/mcp", "/docs", "/openapi.json", "/redoc")):
            response = error_response(401, "unauthorized", "missing or wrong bearer token", None)
        else:
            response = Response(status_code=303, headers={"location": f"/login?next={path}"})
        return with_security_headers(response, path)

    @app.exception_handler(errors.LoreError)
    async def loreerror_response(request: Request, exc: errors.LoreError) -> JSONResponse:
        status = next((code for kind, code in STATUS_OF_ERROR if isinstance(exc, kind)), 400)
        field = getattr(exc, "field", None)
        extra = {"reason": exc.reason} if isinstance(exc, errors.SessionError) else {}
        return error_response(status, type(exc).__name__, str(exc), field, **extra)

    @app.exception_handler(RequestValidationError)
    async def requesterror_response(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"] if part != "body")
        return error_response(422, "ValidationError", f"{field}: {first['msg']}", field)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    from lore.server.api import engine, events, items, jobs, projects, recall, sessions, sources

    for module in (projects, events, sessions):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(sources.router, prefix="/api/v1")
    app.include_router(engine.router, prefix="/api/v1")
    app.include_router(jobs.router, prefix="/api/v1")
    app.include_router(recall.router, prefix="/api/v1")
    app.include_router(items.router, prefix="/api/v1")
    for extend in extensions or []:
        extend(app, lore)
    return app


async def _maybe_await(value: Any) -> None:
    if hasattr(value, "__await__"):
        await value
