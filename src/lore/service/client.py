"""The client side of the local service (``daemon``): hooks, the CLI, the stdio MCP server and
any ``Lore`` that queues work ask it over a Unix socket, and start it when none answers.
Standard library only: a hook imports this on its hot path.

The socket lives in a private folder of the temporary directory (``lore-<uid>``, mode 0700),
named after the lore home, because socket paths are limited to about 100 bytes.

Requests are one JSON line each, answered by one JSON line:

- ``{"op": "status"}``: ``{"pid", "started_at", "databases", "idle_s"}``;
- ``{"op": "wake", "cwd", "database"}``: run the jobs queued in that database now;
- ``{"op": "relevant", "project", "cwd", "prompt", "limit"}`` and ``{"op": "brief", "project",
  "cwd"}``: ``{"text"}`` for the hooks;
- ``{"op": "drain", "cwd"}``: store the hooks' spool;
- ``{"op": "command", "argv", "cwd", "env", "columns"}``: run a ``lore`` command as it would run
  in that folder with those ``LORE_*`` variables: ``{"stdout", "stderr", "exit_code"}``;
- ``{"op": "stop"}``.

A failed request answers ``{"error": "..."}``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

ASK_TIMEOUT_S = 2.0
# The environment variable that hands a new service its first database (not its arguments,
# which every user of the machine can read).
SERVICE_DATABASE = "LORE_SERVICE_DATABASE"
COMMAND_TIMEOUT_S = 600.0
_children: list[int] = []  # services this process spawned, until they are reaped


def socket_path(home: Path) -> Path:
    folder = Path(tempfile.gettempdir()) / f"lore-{os.getuid()}"
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:16]
    return folder / f"service-{digest}.sock"


def lock_path(home: Path) -> Path:
    """The file the service holds locked for its lifetime, which keeps it single per home."""
    return home / "run" / "service.lock"


def running(home: Path) -> bool:
    """A service holds the home's lock: it runs, or is starting."""
    path = lock_path(home)
    if not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def ask(
    home: Path, request: dict[str, Any], timeout: float = ASK_TIMEOUT_S
) -> dict[str, Any] | None:
    """The service's answer, or None when none runs (or it did not answer in time)."""
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


def spawn(home: Path, cwd: str, database: str = "") -> None:
    """Start the service, detached; it drains the hooks' spool and runs the queued jobs of
    ``database`` (the one ``cwd``'s settings name when empty) as it starts. A service already
    running makes the new one exit at once."""
    command = [sys.executable, "-m", "lore.service.daemon", str(home), "--cwd", cwd]
    environment = {**os.environ, SERVICE_DATABASE: database} if database else os.environ
    _reap()
    null = os.open(os.devnull, os.O_RDWR)
    try:
        streams = [(os.POSIX_SPAWN_DUP2, null, fd) for fd in (0, 1, 2)]
        # posix_spawn, not Popen: no handle to keep, or to warn about when it is dropped.
        pid = os.posix_spawn(
            sys.executable, command, environment, file_actions=streams, setsid=True
        )
    finally:
        os.close(null)
    _children.append(pid)


def _reap() -> None:
    """Collect the services this process started that have ended (they exit at once when
    another one runs), so none stays a zombie."""
    for pid in list(_children):
        try:
            ended, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            ended = pid
        if ended:
            _children.remove(pid)


def wake(home: Path, cwd: str, database: str = "") -> None:
    """Have the service run the jobs queued in ``database``: ask the running one, or start one."""
    if ask(home, {"op": "wake", "cwd": cwd, "database": database}) is not None:
        return
    if not running(home):  # one starting runs the queued jobs of its database as it starts
        spawn(home, cwd, database)


def run_command(home: Path, argv: list[str]) -> int | None:
    """Run a ``lore`` command in the running service, which has lore loaded: its output is
    written here and its exit code returned. None when no service answers (the caller runs the
    command itself)."""
    columns = shutil.get_terminal_size().columns
    environment = {name: value for name, value in os.environ.items() if name.startswith("LORE_")}
    request = {
        "op": "command",
        "argv": argv,
        "cwd": os.getcwd(),
        "env": environment,
        "columns": columns,
    }
    reply = ask(home, request, timeout=COMMAND_TIMEOUT_S)
    if reply is None or "exit_code" not in reply:
        return None
    sys.stdout.write(str(reply.get("stdout") or ""))
    sys.stderr.write(str(reply.get("stderr") or ""))
    return int(reply["exit_code"])


def stop(home: Path) -> bool:
    """Ask the running service to stop; False when none runs."""
    return ask(home, {"op": "stop"}) is not None


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data
