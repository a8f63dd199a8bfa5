"""The token of a lore home: one per home, in ``$LORE_HOME/token`` with mode 0600. The REST API,
the dashboard and MCP over HTTP ask for it (``lore.server.auth``); ``lore init`` creates it and
``lore token`` prints it, without loading the server.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from lore.errors import LoreError


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
