"""``LocalRunner``: extraction jobs in threads of this process.

Durable through the store: a run is recorded as running before its job starts, and a run still
running after a restart is started again (``resume``), so a killed process loses nothing. The
job id of a local run is the run's own id.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from lore.domain.episodes import Extraction
from lore.sessions.ports import ExtractionHost

log = logging.getLogger("lore.sessions")


class LocalRunner:
    name = "local"

    def __init__(self, host: ExtractionHost, workers: int = 2) -> None:
        self.host = host
        self._pool = ThreadPoolExecutor(workers, "lore-extraction")
        self._running: set[int] = set()
        self._lock = threading.Lock()

    def start(self, extraction: Extraction) -> int:
        self._submit(extraction)
        return extraction.id

    def resume(self, extraction: Extraction) -> None:
        self._submit(extraction)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, extraction: Extraction) -> None:
        with self._lock:
            if extraction.id in self._running:
                return
            self._running.add(extraction.id)
        self._pool.submit(self._run, extraction)

    def _run(self, extraction: Extraction) -> None:
        try:
            self._extract(extraction)
        except Exception:  # reporting the end failed (closing): the run resumes next time
            if not self.host.stopping:
                log.exception("extraction %s could not report its end", extraction.id)
        finally:
            with self._lock:
                self._running.discard(extraction.id)

    def _extract(self, extraction: Extraction) -> None:
        job_id = extraction.job_id or extraction.id
        try:
            output = self.host.run_extraction(extraction.id)
        except Exception as exc:
            if self.host.stopping:  # the process is closing: the run resumes next time
                return
            log.warning(
                "extraction %s of session %s failed: %s", extraction.id, extraction.session_id, exc
            )
            self.host.extraction_finished(
                extraction.session_id, job_id, False, f"{type(exc).__name__}: {exc}"
            )
            return
        if self.host.stopping:
            return
        self.host.extraction_finished(
            extraction.session_id,
            job_id,
            True,
            None,
            output.changeset,
            vectors=output.vectors,
            embedding_model=output.embedding_model,
        )
