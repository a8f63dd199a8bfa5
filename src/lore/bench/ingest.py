"""Ingest benchmark: events/s through the Python API in batches, events/s over HTTP in batches
of 100 against a real ``lore serve`` on 127.0.0.1, and the latency of one event over HTTP.

Each part uses a fresh lore home in a temporary folder; events are distinct (no duplicates) and
shaped like agent steps (about 400 bytes of JSON).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from lore.bench.serving import lore_serve_process
from lore.bench.stats import percentile
from lore.config import load_settings
from lore.core import Lore
from lore.domain import ProjectSettings
from lore.token import ensure_token

PROJECT = "bench"
TARGETS = {"api_events_per_s": 5000.0, "http_events_per_s": 1000.0, "p99_ms": 10.0}
# Ingest measures capture alone: no enrichment is queued (nor a local service started for it).
CAPTURE_ONLY = ProjectSettings(auto_learn=False)


@dataclass(frozen=True)
class IngestFigures:
    api_events: int
    api_batch: int
    api_events_per_s: float
    http_events: int
    http_batch: int
    http_events_per_s: float
    single_events: int
    p50_ms: float
    p99_ms: float

    def meets_targets(self) -> dict[str, bool]:
        return {
            "api_events_per_s": self.api_events_per_s >= TARGETS["api_events_per_s"],
            "http_events_per_s": self.http_events_per_s >= TARGETS["http_events_per_s"],
            "p99_ms": self.p99_ms < TARGETS["p99_ms"],
        }


def run(
    *, api_events: int = 20_000, api_batch: int = 100, http_events: int = 10_000,
    http_batch: int = 100, single_events: int = 1_000,
) -> IngestFigures:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="lore-bench-") as folder:
        api_rate = measure_api(Path(folder) / "api", api_events, api_batch)
        with serve(Path(folder) / "http") as client:
            http_rate = measure_http_batches(client, http_events, http_batch)
            p50, p99 = measure_http_latency(client, single_events)
    return IngestFigures(
        api_events, api_batch, api_rate, http_events, http_batch, http_rate, single_events, p50, p99
    )


def step_event(index: int, source: str = "bench") -> dict[str, Any]:
    """A distinct event shaped like an agent step."""
    return {
        "source": source,
        "type": "step",
        "payload": {
            "observation": f"pytest tests/unit/test_parser_{index}.py: 2 failed, 14 passed;"
            " AssertionError: expected a token list, got None at parser.py:88",
            "action": f"Edited src/app/parser_{index % 50}.py: return an empty list for blank"
            " input instead of None, and added a regression test.",
            "files": [f"src/app/parser_{index % 50}.py", f"tests/unit/test_parser_{index}.py"],
            "step": index,
        },
    }


def measure_api(home: Path, events: int, batch: int) -> float:
    """Events per second through ``Lore.capture_events``."""
    with Lore.open(settings=load_settings(overrides={"home": str(home)})) as lore:
        project = lore.create_project(PROJECT, settings=CAPTURE_ONLY)
        lore.capture_events([step_event(-1)], project=project)  # warm up: session, caches
        started = time.perf_counter()
        for start in range(0, events, batch):
            batch_events = [step_event(i) for i in range(start, min(start + batch, events))]
            lore.capture_events(batch_events, project=project)
        return events / (time.perf_counter() - started)


@contextmanager
def serve(home: Path) -> Iterator[httpx.Client]:
    """A real ``lore serve`` process on a free port of 127.0.0.1, and a client with the token."""
    with Lore.open(settings=load_settings(overrides={"home": str(home)})) as lore:
        lore.create_project(PROJECT, settings=CAPTURE_ONLY)
        token = ensure_token(lore.settings.token_path)
    env = os.environ | {"LORE_HOME": str(home), "LORE_SERVER__RUN_WORKER": "false"}
    env.pop("LORE_DATABASE_URL", None)
    with lore_serve_process(env) as base_url:
        headers = {"authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30.0) as client:
            yield client


def measure_http_batches(client: httpx.Client, events: int, batch: int) -> float:
    _post(client, [step_event(-1, "bench-http")])
    started = time.perf_counter()
    for start in range(0, events, batch):
        _post(
            client, [step_event(i, "bench-http") for i in range(start, min(start + batch, events))]
        )
    return events / (time.perf_counter() - started)


def measure_http_latency(client: httpx.Client, count: int) -> tuple[float, float]:
    """(p50, p99) in milliseconds of posting one event, request by request."""
    timings = []
    for index in range(count):
        body = {"project": PROJECT, **step_event(index, "bench-single")}
        started = time.perf_counter()
        response = client.post("/api/v1/events", json=body)
        timings.append((time.perf_counter() - started) * 1000)
        _check(response)
    return percentile(timings, 50), percentile(timings, 99)


def _post(client: httpx.Client, events: list[dict[str, Any]]) -> None:
    _check(client.post("/api/v1/events", json={"project": PROJECT, "events": events}))


def _check(response: httpx.Response) -> None:
    if response.status_code != 202:
        raise RuntimeError(f"ingest failed: {response.status_code} {response.text[:300]}")


def report(figures: IngestFigures) -> str:
    """The figures as a Markdown table, with the targets."""
    met = figures.meets_targets()
    mark = {True: "yes", False: "NO"}
    rows = [
        (f"Python API, batches of {figures.api_batch}", f"{figures.api_events_per_s:,.0f} events/s",
         "≥ 5,000 events/s", mark[met["api_events_per_s"]]),
        (f"HTTP, batches of {figures.http_batch}", f"{figures.http_events_per_s:,.0f} events/s",
         "≥ 1,000 events/s", mark[met["http_events_per_s"]]),
        ("HTTP, one event: p50", f"{figures.p50_ms:.2f} ms", "", ""),
        ("HTTP, one event: p99", f"{figures.p99_ms:.2f} ms", "< 10 ms", mark[met["p99_ms"]]),
    ]  # fmt: skip
    lines = ["| measure | result | target | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def as_dict(figures: IngestFigures) -> dict[str, Any]:
    return asdict(figures) | {"meets_targets": figures.meets_targets()}
