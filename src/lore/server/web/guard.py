"""Cross-site request forgery, refused: every dashboard request that changes something must come
from the dashboard itself. Its ``Origin`` (when the browser sends one, as all current browsers
do on posts) must be the server's own, and a request signed in by cookie must send back its
sign-in's CSRF token: the hidden ``csrf_token`` field every form holds, or the
``X-CSRF-Token`` header. A request with the bearer token is not a browser's and needs neither.
"""

from __future__ import annotations

from fastapi import Request
from markupsafe import Markup, escape

from lore.errors import ForbiddenError
from lore.server.auth import signed_in

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


async def refuse_forgery(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin is not None and origin != own:
        raise ForbiddenError(f"a request from {origin} cannot change this lore")
    login = signed_in(request)
    if login is None:
        return
    given = request.headers.get(CSRF_HEADER)
    if not given:
        field = (await request.form()).get(CSRF_FIELD)
        given = field if isinstance(field, str) else None
    if not login.accepts(given):
        raise ForbiddenError("this form is out of date or from another page: reload it and retry")


def csrf_token(request: Request) -> str:
    login = signed_in(request)
    return login.csrf if login is not None else ""


def csrf_input(request: Request) -> Markup:
    """The hidden field of a form that posts (empty for a request with the bearer token)."""
    token = csrf_token(request)
    if not token:
        return Markup("")
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">')
