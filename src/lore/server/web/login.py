"""The login page: it takes the token once and starts a sign-in the server keeps
(``lore.server.logins``); the HTTP-only, same-site cookie holds the sign-in's id, never the
token. Sign-out ends the sign-in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from lore.server.auth import COOKIE, token_matches
from lore.server.logins import LIFETIME_S
from lore.server.web.render import Layout, respond, safe_next
from lore.server.web.routing import page_router

router = page_router()


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
    login = request.app.state.logins.start()
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        login.id,
        max_age=LIFETIME_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    request.app.state.logins.end(request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
