"""The JSON error body every refusal of the server carries: ``{"error": {"type", "message",
"field"}}`` with a 4xx status (the app's error handlers and the body limits use it alike)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


def error_response(
    status: int, kind: str, message: str, field: str | None, **extra: Any
) -> JSONResponse:
    body = {"type": kind, "message": message, "field": field, **extra}
    return JSONResponse({"error": body}, status_code=status)
