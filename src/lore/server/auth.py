"""Who may call: the bearer token guards every endpoint but ``/health`` (``lore.token`` keeps
it). The dashboard trades it once, at its login page, for a sign-in the server keeps
(``lore.server.logins``): its cookie is accepted on the dashboard's pages only, never by the
REST API or MCP, so no other site can make a browser call them.

Every answer carries the security headers: a content security policy with no inline script and
no framing, ``nosniff``, and no referrer to other sites.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.responses import Response

from lore.server.logins import Login, Logins

COOKIE = "lore_session"
# Paths that a sign-in cookie does not open: clients there send the bearer token.
TOKEN_ONLY = ("/api/", "/mcp")
# FastAPI's own API docs load Swagger UI with an inline script; they are left without the CSP.
DOCS = ("/docs", "/redoc")
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        " img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self';"
        " frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # Not no-referrer: with it, browsers send "Origin: null" on the dashboard's own form posts.
    "referrer-policy": "same-origin",
}


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value else None


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an empty token on either side never matches (fail closed)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def authenticated(request: Request, expected: str, logins: Logins) -> bool:
    """The bearer token anywhere; a live sign-in's cookie on dashboard pages, which then find
    the sign-in in ``request.state.login`` (its forms must send its CSRF token back)."""
    if token_matches(bearer_token(request), expected):
        return True
    if request.url.path.startswith(TOKEN_ONLY):
        return False
    login = logins.find(request.cookies.get(COOKIE))
    request.state.login = login
    return login is not None


def signed_in(request: Request) -> Login | None:
    """The sign-in a dashboard request came with (None when it sent the bearer token)."""
    login: Login | None = getattr(request.state, "login", None)
    return login


def with_security_headers(response: Response, path: str) -> Response:
    for name, value in SECURITY_HEADERS.items():
        if name == "content-security-policy" and path.startswith(DOCS):
            continue
        response.headers.setdefault(name, value)
    return response
