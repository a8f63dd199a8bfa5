"""The client side of the warm helper (``daemon``): a hook asks it over a Unix socket for what
needs the store (relevant items, the brief, a drain) instead of loading lore itself, which takes
most of a second. Standard library only.

The socket lives in a private folder of the temporary directory (``lore-<uid>``, mode 0700),
named after the lore home, because socket paths are limited to about 100 bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

ASK_TIMEOUT_S = 2.0


def socket_path(home: Path) -> Path:
    folder = Path(tempfile.gettempdir()) / f"lore-{os.getuid()}"
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:16]
    return folder / f"hooks-{digest}.sock"


def ask(
    home: Path, request: dict[str, Any], timeout: float = ASK_TIMEOUT_S
) -> dict[str, Any] | None:
    """The helper's answer, or None when no helper is running (or it did not answer in time)."""
    path = socket_path(home)
    if not path.exists():
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(path))
            conn.sendall(json.dumps(request).encode() + b"\n")
            reply = json.loads(_read_line(conn))
    except (OSError, ValueError):
        return None
    return reply if isinstance(reply, dict) else None


def spawn(home: Path, cwd: str) -> None:
    """Start the helper, detached; it drains the spool as it starts. A helper already running
    makes the new one exit at once."""
    import subprocess

    subprocess.Popen(
        [sys.executable, "-m", "lore.integrations.claude_code.daemon", str(home)],
        cwd=cwd if os.path.isdir(cwd) else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data
