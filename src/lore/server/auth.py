"""The bearer token that guards every endpoint but ``/health`` (``lore.token`` keeps it). The
dashboard trades it for a session cookie at its login page.
"""

from __future__ import annotations

import hmac

from fastapi import Request

COOKIE = "lore_session"


def request_token(request: Request) -> str | None:
    """The token a request carries: ``Authorization: Bearer``, else the dashboard cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    return request.cookies.get(COOKIE)


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an empty token on either side never matches (fail closed)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())
