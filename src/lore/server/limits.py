"""Every request body is checked here, before any route reads it.

- Size: the body is read in chunks and refused (413) as soon as it passes the route's limit,
  so a 400 MB upload costs at most the limit in memory, not its size.
- JSON under ``/api/`` and ``/mcp``: a body must say ``Content-Type: application/json`` (415
  otherwise: a page on another site can post ``text/plain`` without asking, not JSON), parse,
  nest at most ``MAX_DEPTH`` deep and hold only valid Unicode (a lone surrogate cannot be
  stored); 422 otherwise, with the JSON error body of every other refusal.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from lore.server.errors import error_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = 1 * MiB
# Routes that take more: a batch of up to 500 events, and MCP calls that capture text.
MAX_BYTES_BY_PREFIX = (("/api/v1/events", 32 * MiB), ("/mcp", 4 * MiB))
MAX_DEPTH = 100
# Where bodies are JSON: the REST API and MCP's JSON-RPC.
JSON_PREFIXES = ("/api/", "/mcp")
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KIND_OF_STATUS = {
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "ValidationError",
}


class BodyLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS_WITH_BODY:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = max_bytes(path)
        headers = {key.decode("latin-1").lower(): value for key, value in scope["headers"]}
        declared = headers.get("content-length", b"").decode("latin-1")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(scope, receive, send, 413, f"the body is larger than {limit} bytes")
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > limit:
                await _refuse(scope, receive, send, 413, f"the body is larger than {limit} bytes")
                return
            if not message.get("more_body", False):
                break
        if body and path.startswith(JSON_PREFIXES):
            problem = json_problem(bytes(body), headers.get("content-type", b"").decode("latin-1"))
            if problem is not None:
                await _refuse(scope, receive, send, *problem)
                return
        await self.app(scope, _replay(bytes(body), receive), send)


def max_bytes(path: str) -> int:
    return next(
        (limit for prefix, limit in MAX_BYTES_BY_PREFIX if path.startswith(prefix)),
        DEFAULT_MAX_BYTES,
    )


def json_problem(body: bytes, content_type: str) -> tuple[int, str] | None:
    """(status, message) when ``body`` is not JSON this API stores; None when it is."""
    media = content_type.split(";")[0].strip().lower()
    if media != "application/json":
        return 415, f"the body must be application/json, not {media or 'untyped'}"
    try:
        value = json.loads(body)
    except RecursionError:
        return 422, f"the body nests deeper than {MAX_DEPTH} levels"
    except (ValueError, UnicodeDecodeError) as exc:
        return 422, f"the body is not valid JSON: {exc}"
    return _value_problem(value)


def _value_problem(value: Any) -> tuple[int, str] | None:
    """Depth and text of a parsed value, walked without recursion."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            return 422, f"the body nests deeper than {MAX_DEPTH} levels"
        if isinstance(item, dict):
            pending.extend((key, depth) for key in item)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and not _is_unicode(item):
            return 422, "the body holds text that is not valid Unicode (a lone surrogate)"
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then what the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    response = error_response(status, KIND_OF_STATUS[status], message, "body")
    await response(scope, receive, send)
