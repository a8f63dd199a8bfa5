"""The warm helper of the hooks: one process per lore home that keeps lore loaded (store,
recall, the embedding model) and answers the hooks over a Unix socket (``warm``), so a prompt
hook gets its relevant items in milliseconds and a Stop hook's drain costs no new process.

It starts on demand (a hook that finds none spawns it), drains the spool as it starts, and exits
after ``IDLE_S`` without requests. A lock file held for its lifetime
(``$LORE_HOME/run/hooks-helper.lock``) keeps it single per home; the socket is created
owner-only. Its errors go to ``$LORE_HOME/logs/hooks-helper.log``.

Requests are one JSON line each: ``{"op": "relevant", "project", "cwd", "prompt", "limit"}``,
``{"op": "brief", "project", "cwd"}``, ``{"op": "drain", "cwd"}``, ``{"op": "stop"}``; the
answer is one JSON line (``{"text": ...}`` or ``{"ok": true}``, ``{"error": ...}``).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socketserver
import sys
import threading
import time
from pathlib import Path
from typing import Any

from lore.config import load_settings
from lore.core import Lore
from lore.integrations.claude_code import context, drain, warm

log = logging.getLogger(__name__)
IDLE_S = 15 * 60


class Helper:
    """The state behind the socket: an open ``Lore`` per database, and the drain's lock."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.lores: dict[str, Lore] = {}
        self.guard = threading.Lock()
        self.draining = threading.Lock()
        self.last_request = time.monotonic()

    def lore_for(self, cwd: str) -> Lore:
        """The ``Lore`` of the database ``cwd``'s settings name (one per database)."""
        settings = load_settings(cwd=Path(cwd) if os.path.isdir(cwd) else None)
        key = str(settings.settings.db_path)
        with self.guard:
            if key not in self.lores:
                self.lores[key] = Lore.open(settings=settings)
            return self.lores[key]

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        self.last_request = time.monotonic()
        op, cwd = request.get("op"), str(request.get("cwd") or os.getcwd())
        if op == "relevant":
            lore = self.lore_for(cwd)
            text = context.relevant_text(
                lore, str(request["project"]), str(request["prompt"]), int(request["limit"])
            )
            return {"text": text}
        if op == "brief":
            lore = self.lore_for(cwd)
            text = context.refresh_brief(lore, str(request["project"]), self.home)
            return {"text": text}
        if op == "drain":
            threading.Thread(target=self.drain, args=(cwd,), daemon=True).start()
            return {"ok": True}
        return {"error": f"unknown op {op!r}"}

    def drain(self, cwd: str) -> None:
        with self.draining:
            lore = self.lore_for(cwd)
            for name in sorted(drain.drain(lore, self.home)):
                context.refresh_brief(lore, name, self.home)

    def close(self) -> None:
        for lore in self.lores.values():
            lore.close()


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        try:
            request = json.loads(self.rfile.readline())
            if request.get("op") == "stop":
                reply: dict[str, Any] = {"ok": True}
                threading.Thread(target=self.server.shutdown, daemon=True).start()
            else:
                reply = self.server.helper.answer(request)
        except Exception as exc:  # one bad request must not stop the helper
            log.exception("hook helper request failed")
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        self.wfile.write(json.dumps(reply).encode() + b"\n")


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, helper: Helper) -> None:
        self.helper = helper
        super().__init__(str(path), _Handler)


def serve(home: Path, cwd: Path) -> None:
    path = warm.socket_path(home)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock_path = home / "run" / "hooks-helper.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # another helper serves this home
        path.unlink(missing_ok=True)  # left by a helper that was killed
        helper = Helper(home)
        old_mask = os.umask(0o177)
        try:
            server = _Server(path, helper)
        finally:
            os.umask(old_mask)
        threading.Thread(target=helper.drain, args=(str(cwd),), daemon=True).start()
        threading.Thread(target=_stop_when_idle, args=(server, helper), daemon=True).start()
        try:
            server.serve_forever(poll_interval=0.5)
        finally:
            server.server_close()
            path.unlink(missing_ok=True)
            with helper.draining:
                helper.close()


def _stop_when_idle(server: _Server, helper: Helper) -> None:
    while time.monotonic() - helper.last_request < IDLE_S:
        time.sleep(5)
    server.shutdown()


if __name__ == "__main__":
    home = Path(sys.argv[1])
    (home / "logs").mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=home / "logs" / "hooks-helper.log", level=logging.WARNING)
    serve(home, Path.cwd())
