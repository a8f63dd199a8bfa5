from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from lore.errors import ValidationError
from lore.server.deps import LoreDep

router = APIRouter(tags=["events"])


@router.post(
    "/events",
    status_code=202,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "description": "One event (with `project`), or"
                        " `{project, events: [...]}` with up to 500 events. An event: source,"
                        " type, payload, optional session_id, idempotency_key, occurred_at.",
                        "type": "object",
                    }
                }
            },
        }
    },
)
async def capture(request: Request, lore: LoreDep) -> JSONResponse:
    """Capture one event or a batch; the batch is stored whole or not at all."""
    body = await _json_body(request)
    project_ref = body.get("project") if isinstance(body, dict) else None
    if project_ref is not None and (
        isinstance(project_ref, bool) or not isinstance(project_ref, str | int)
    ):
        raise ValidationError("project must be a project's name or id", "project")
    if isinstance(body, dict) and "events" in body:
        events = body["events"]
        if not isinstance(events, list):
            raise ValidationError("events must be a list", "events")
    elif isinstance(body, dict):
        events = [{key: value for key, value in body.items() if key != "project"}]
    else:
        raise ValidationError("the body must be a JSON object", "body")
    project = lore.project(project_ref if project_ref is not None else None)
    result = lore.capture_events(events, project=project)
    return JSONResponse(
        {
            "event_ids": result.event_ids,
            "session_id": result.session_ids[0] if result.session_ids else None,
            "session_ids": sorted(set(result.session_ids)),
            "duplicates": result.duplicates,
        },
        status_code=202,
    )


async def _json_body(request: Request) -> Any:
    """The body, already checked by ``lore.server.limits`` (size, media type, depth)."""
    return json.loads(await request.body())
