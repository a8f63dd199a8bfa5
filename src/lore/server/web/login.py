"""The login page: it takes the token once and keeps it in an HTTP-only, same-site cookie.

``SameSite=Strict`` keeps other sites from riding the cookie on form posts, so the dashboard's
forms need no separate CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from lore.server.auth import COOKIE, token_matches
from lore.server.web.render import Layout, respond, safe_next
from lore.server.web.routing import page_router

router = page_router()

COOKIE_MAX_AGE_S = 30 * 24 * 3600


class LoginPage(BaseModel):
    next: str
    error: str | None = None


def _frame() -> Layout:
    return Layout(title="Sign in", section="projects")


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return respond(request, "login.html", LoginPage(next=safe_next(next)), _frame())


@router.post("/login")
def login(
    request: Request, token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
) -> Response:
    target = safe_next(next)
    if not token_matches(token.strip(), request.app.state.token):
        page = LoginPage(next=target, error="That token is not right. `lore token` prints it.")
        return respond(request, "login.html", page, _frame(), status_code=401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token.strip(),
        max_age=COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
