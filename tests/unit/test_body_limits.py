"""The body limits read a request in chunks and refuse it as soon as it passes its route's
limit: what is never read is never held in memory."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from lore.server.limits import DEFAULT_MAX_BYTES, BodyLimits


def test_a_body_past_the_limit_is_refused_before_the_rest_is_read() -> None:
    reads = 0

    async def receive() -> dict[str, Any]:  # a client streaming 1 MiB chunks without end
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * (1024 * 1024), "more_body": True}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    reached: list[object] = []

    async def app(scope: object, receive: object, send: object) -> None:
        reached.append(scope)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/search",
        "headers": [(b"content-type", b"application/json")],
    }
    asyncio.run(BodyLimits(app)(scope, receive, send))  # type: ignore[arg-type]
    assert reads == DEFAULT_MAX_BYTES // (1024 * 1024) + 1  # one chunk past the limit, no more
    assert reached == []  # the route never saw it
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["type"] == "payload_too_large"
