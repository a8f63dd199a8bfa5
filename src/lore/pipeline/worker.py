"""The worker: claims due jobs one at a time and runs them, keeping its lease alive meanwhile.

Several workers (threads or processes) may share one database: a claim is atomic, and a job whose
worker died is claimed again once its lease runs out. ``lore serve`` runs one in a thread;
``lore worker`` runs one in the foreground.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from lore.config import PipelineSettings
from lore.domain.jobs import Job
from lore.pipeline.runner import JobRunner
from lore.store.base import Store

log = logging.getLogger("lore.pipeline")


def worker_name() -> str:
    """Unique per worker, and telling where it runs: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def dead_local_workers(owners: list[str]) -> list[str]:
    """The workers of this host whose process has ended: their leases need not be waited out."""
    host = socket.gethostname()
    dead = []
    for owner in owners:
        owner_host, _, rest = owner.partition(":")
        pid = rest.partition(":")[0]
        if owner_host == host and pid.isdigit() and not _alive(int(pid)):
            dead.append(owner)
    return dead


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


class Worker:
    def __init__(
        self,
        store: Store,
        runner: JobRunner,
        settings: PipelineSettings,
        *,
        name: str | None = None,
    ) -> None:
        self.store = store
        self.runner = runner
        self.settings = settings
        self.name = name or worker_name()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> Job | None:
        """Claim one due job and run it; None when there was nothing to do."""
        dead = dead_local_workers(self.store.jobs.lease_owners())
        if dead:
            log.info("taking over the jobs of ended workers %s", ", ".join(dead))
            self.store.jobs.expire_leases(dead)
        job = self.store.jobs.claim(self.name, self.settings.lease_s, self.runner.clock())
        if job is None:
            return None
        log.info("worker %s claimed job %s (attempt %d)", self.name, job.id, job.attempts)
        with self._lease(job):
            return self.runner.run(job, self.name, self._stop.is_set)

    def run(self, *, until_idle: bool = False) -> int:
        """Run jobs until stopped (or, with ``until_idle``, until none is due); returns how many
        jobs it ran."""
        ran = 0
        while not self._stop.is_set():
            try:
                job = self.run_once()
            except Exception:  # a broken job must not end the worker; the lease frees it
                if self._stop.is_set():  # lore closed its store under the job: not an error
                    break
                log.exception("worker %s: unexpected error", self.name)
                job = None
            if job is not None:
                ran += 1
                continue
            if until_idle:
                break
            self._wake.wait(self.settings.worker_poll_s)
            self._wake.clear()
        return ran

    def wake(self) -> None:
        """Look for work now instead of at the next poll (a job was just queued)."""
        self._wake.set()

    def start(self) -> None:
        """Run in a daemon thread until ``stop``."""
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run, name=f"lore-worker-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current stage. Past ``timeout`` it still waits for the thread to
        end: the caller closes the store next, and a connection closed under a running query
        crashes the process (SQLite)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("worker %s: waiting for its stage to end before stopping", self.name)
                self._thread.join()
            self._thread = None

    @contextmanager
    def _lease(self, job: Job) -> Iterator[None]:
        """Renew the job's lease every third of its length while the job runs."""
        done = threading.Event()
        interval = self.settings.lease_s / 3

        def keep() -> None:
            while not done.wait(interval):
                if not self.store.jobs.renew(
                    job.id, self.name, self.settings.lease_s, self.runner.clock()
                ):
                    return

        keeper = threading.Thread(target=keep, name=f"lore-lease-{job.id}", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            done.set()
            keeper.join()
