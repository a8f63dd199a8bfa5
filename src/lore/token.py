"""The token of a lore home: one per home, in ``$LORE_HOME/token`` with mode 0600. The REST API,
the dashboard and MCP over HTTP ask for it (``lore.server.auth``); ``lore init`` creates it and
``lore token`` prints it, without loading the server.

Fail closed: a token file that is missing, empty or unreadable is an error, never an empty
token that an empty credential would match. A new token is written to a private temporary file
and linked into place, so a full disk leaves no token rather than an empty one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from lore.errors import LoreError
from lore.private import private_dir


class AuthError(LoreError):
    pass


def ensure_token(path: Path) -> str:
    """Read the token, creating it (owner-only) when there is none or the file is blank (what
    an interrupted write left: nothing can authenticate with it)."""
    return _stored(path) or _write_token(path)


def read_token(path: Path) -> str:
    token = _stored(path)
    if token is None:
        if path.exists():
            raise AuthError(f"the token file {path} is empty: run `lore init` to write a new one")
        raise AuthError(f"no token at {path}: run `lore init` first")
    return token


def _stored(path: Path) -> str | None:
    """The token in ``path``; None when there is no file or it is blank."""
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthError(f"cannot read the token at {path}: {exc}") from None


def _write_token(path: Path) -> str:
    private_dir(path.parent)
    token = secrets.token_urlsafe(32)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # fails if another process wrote one meanwhile
        except FileExistsError:
            if written := _stored(path):
                return written
            os.replace(temporary, path)  # the blank file an interrupted write left
    except OSError as exc:
        raise AuthError(f"cannot write the token at {path}: {exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return token
