"""The bearer token that guards every endpoint but ``/health``.

One token per lore home, in ``$LORE_HOME/token`` with mode 0600. The dashboard trades it for a
session cookie at its login page.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from fastapi import Request

from lore.errors import LoreError

COOKIE = "lore_session"


class AuthError(LoreError):
    pass


def ensure_token(path: Path) -> str:
    """Read the token, creating it (owner-only) when there is none."""
    if path.is_file():
        return read_token(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token


def read_token(path: Path) -> str:
    if not path.is_file():
        raise AuthError(f"no token at {path}: run `lore init` first")
    return path.read_text().strip()


def request_token(request: Request) -> str | None:
    """The token a request carries: ``Authorization: Bearer``, else the dashboard cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    return request.cookies.get(COOKIE)


def token_matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
