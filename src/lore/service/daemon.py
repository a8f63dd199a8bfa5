"""The local service: one process per lore home that keeps lore loaded (store, recall, the
embedding model), runs the enrichment worker of every database it opens, and answers requests
over a Unix socket (``client`` lists them).

It starts on demand: a hook, the CLI, the stdio MCP server or any ``Lore`` that queued a job
without a worker of its own finds none answering and spawns it. It drains the hooks' spool as it
starts, and stops after ``service.idle_s`` without requests, but only once no job is queued or
running in its databases. A lock file held for its lifetime (``$LORE_HOME/run/service.lock``)
keeps it single per home; the socket is created owner-only. After a crash the next caller
starts a new one, and the jobs the dead one held are taken over at once (``lore.pipeline.worker``
ends the leases of workers whose process is gone). Its log is ``$LORE_HOME/logs/service.log``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import io
import json
import logging
import os
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lore.private import private_dir, private_file
from lore.service import client

if TYPE_CHECKING:
    from lore.core import Lore

log = logging.getLogger(__name__)
IDLE_CHECK_S = 5.0
INACTIVE_CHECK_S = 60.0


class Service:
    """The state behind the socket: an open ``Lore`` (with its worker) per database."""

    def __init__(self, home: Path, idle_s: float) -> None:
        self.home = home
        self.idle_s = idle_s
        self.started_at = time.time()
        self.lores: dict[str, Lore] = {}
        self.guard = threading.Lock()
        self.draining = threading.Lock()
        self.commands = threading.Lock()
        self.last_request = time.monotonic()

    def lore_for(self, cwd: str, database: str = "") -> Lore:
        """The ``Lore`` of ``database`` (else of the one ``cwd``'s settings name), opened once,
        its worker running."""
        from lore.config import load_settings
        from lore.core import Lore

        overrides = {"database_url": database} if database else {}
        settings = load_settings(cwd=Path(cwd) if os.path.isdir(cwd) else None, overrides=overrides)
        key = settings.settings.database
        with self.guard:
            if key not in self.lores:
                lore = Lore.open(settings=settings)
                lore.pipeline.start_worker()
                self.lores[key] = lore
                log.info("serving %s", key)
            return self.lores[key]

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        self.last_request = time.monotonic()
        op, cwd = request.get("op"), str(request.get("cwd") or os.getcwd())
        if op == "status":
            return self.status()
        if op == "wake":
            lore = self.lore_for(cwd, str(request.get("database") or ""))
            lore.pipeline.start_worker().wake()
            return {"ok": True}
        from lore.integrations.claude_code import context

        if op == "relevant":
            lore = self.lore_for(cwd)
            text = context.relevant_text(
                lore, str(request["project"]), str(request["prompt"]), int(request["limit"])
            )
            return {"text": text}
        if op == "brief":
            lore = self.lore_for(cwd)
            return {"text": context.refresh_brief(lore, str(request["project"]), self.home)}
        if op == "command":
            return self.command(request)
        if op == "drain":
            threading.Thread(target=self.drain, args=(cwd,), daemon=True).start()
            return {"ok": True}
        return {"error": f"unknown op {op!r}"}

    def command(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run a ``lore`` command here, with lore already loaded: in the caller's folder and
        ``LORE_*`` variables, its output captured. One at a time: the folder, the variables
        and the standard streams are the process's."""
        from lore.cli.main import run

        log.info("command: lore %s", " ".join(str(arg) for arg in request["argv"][:1]))
        out, err = io.StringIO(), io.StringIO()
        variables = {str(k): str(v) for k, v in dict(request.get("env") or {}).items()}
        variables["COLUMNS"] = str(request.get("columns") or 100)
        with (
            self.commands,
            _environment(variables),
            _folder(str(request["cwd"])),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = run([str(arg) for arg in request["argv"]])
        return {"stdout": out.getvalue(), "stderr": err.getvalue(), "exit_code": code}

    def status(self) -> dict[str, Any]:
        from lore.config import shown_database

        with self.guard:
            databases = sorted(shown_database(database) for database in self.lores)
        return {
            "pid": os.getpid(),
            "started_at": self.started_at,
            "databases": databases,
            "idle_s": self.idle_s,
        }

    def drain(self, cwd: str) -> None:
        from lore.integrations.claude_code import context, drain

        with self.draining:
            lore = self.lore_for(cwd)
            for name in sorted(drain.drain(lore, self.home)):
                context.refresh_brief(lore, name, self.home)

    def close_inactive_sessions(self) -> None:
        with self.guard:
            lores = list(self.lores.values())
        for lore in lores:
            try:
                for session in lore.close_inactive_sessions():
                    log.info("session %d ended after inactivity", session.id)
            except Exception:  # the next check tries again
                log.exception("closing inactive sessions failed")

    def busy(self) -> bool:
        """A job is queued (perhaps for later) or running in one of the databases."""
        with self.guard:
            lores = list(self.lores.values())
        return any(lore.jobs.unfinished() for lore in lores)

    def idle(self) -> bool:
        return time.monotonic() - self.last_request >= self.idle_s and not self.busy()

    def close(self) -> None:
        with self.guard:
            lores, self.lores = list(self.lores.values()), {}
        for lore in lores:
            lore.shutdown()  # stops its worker; a job it held is freed by its lease


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        try:
            request = json.loads(self.rfile.readline())
            if request.get("op") == "stop":
                reply: dict[str, Any] = {"ok": True}
                threading.Thread(target=self.server.shutdown, daemon=True).start()
            else:
                reply = self.server.service.answer(request)
        except Exception as exc:  # one bad request must not stop the service
            log.exception("service request failed")
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        self.wfile.write(json.dumps(reply).encode() + b"\n")


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, service: Service) -> None:
        self.service = service
        super().__init__(str(path), _Handler)


@contextlib.contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    """The caller's ``LORE_*`` variables (and ``COLUMNS``) in place of the service's."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("LORE_")}
    saved_columns = os.environ.get("COLUMNS")
    for name in saved:
        del os.environ[name]
    os.environ.update(variables)
    try:
        yield
    finally:
        for name in [n for n in os.environ if n.startswith("LORE_")]:
            del os.environ[name]
        os.environ.update(saved)
        if saved_columns is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved_columns


@contextlib.contextmanager
def _folder(path: str) -> Iterator[None]:
    here = os.getcwd()
    os.chdir(path if os.path.isdir(path) else here)
    try:
        yield
    finally:
        os.chdir(here)


def serve(home: Path, cwd: Path, database: str = "") -> None:
    """Run the service of ``home`` until it is idle or asked to stop; return at once when
    another one serves this home (lore itself is loaded only once the lock is taken, so the
    extra processes several callers may spawn at once cost little)."""
    path = client.socket_path(home)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock_path = client.lock_path(home)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # another service serves this home
        path.unlink(missing_ok=True)  # left by a service that was killed
        from lore.config import load_settings

        settings = load_settings(cwd=cwd).settings
        service = Service(home, settings.service.idle_s)
        old_mask = os.umask(0o177)
        try:
            server = _Server(path, service)
        finally:
            os.umask(old_mask)
        log.info("service %d started for %s", os.getpid(), home)
        service.lore_for(str(cwd), database)  # its queued jobs start running
        threading.Thread(target=service.drain, args=(str(cwd),), daemon=True).start()
        threading.Thread(target=_stop_when_idle, args=(server, service), daemon=True).start()
        try:
            server.serve_forever(poll_interval=0.5)
        finally:
            server.server_close()
            path.unlink(missing_ok=True)
            with service.draining:
                service.close()
            log.info("service %d stopped", os.getpid())


def _stop_when_idle(server: _Server, service: Service) -> None:
    """Every few seconds: stop if idle; now and then, end the captured sessions that went
    quiet, so their last events become memory."""
    checked = 0.0
    while not service.idle():
        if time.monotonic() - checked >= INACTIVE_CHECK_S:
            checked = time.monotonic()
            service.close_inactive_sessions()
        time.sleep(IDLE_CHECK_S)
    server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description="lore's local service (started on demand)")
    parser.add_argument("home", type=Path)
    parser.add_argument(
        "--database",
        # Passed in the environment by client.spawn: a URL's password never shows in ps.
        default=os.environ.get(client.SERVICE_DATABASE, ""),
        help="a database to serve from the start",
    )
    parser.add_argument("--cwd", default="", help="the folder whose settings apply")
    args = parser.parse_args()
    if os.path.isdir(args.cwd):
        os.chdir(args.cwd)
    os.umask(0o077)  # everything the service writes (logs, spool, clones) is its owner's
    logging.basicConfig(
        filename=private_file(private_dir(args.home / "logs") / "service.log"),
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    serve(args.home, Path.cwd(), args.database)


if __name__ == "__main__":
    main()
