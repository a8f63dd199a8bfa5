"""CLI latency benchmark: end-to-end wall time of ``lore search "how do we run the tests"`` as a
user runs it, a new process each time, over a project of N items (built as the recall latency
benchmark builds one).

``warm``: the local service runs, and answers the command (lore is loaded there). ``cold``: no
service runs and none is started (``service.autostart`` off), so the command loads lore, opens
the store and the embedding model, and searches in its own process.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lore.bench.machine import Load, load
from lore.bench.recall_latency import PROJECT, build_project, vocabulary
from lore.bench.stats import p50_p95
from lore.config import load_settings
from lore.core import Lore
from lore.service import client

QUERY = "how do we run the tests"
TARGETS_MS = {"warm_p95": 300.0, "cold_p95": 1500.0}
START_WAIT_S = 60.0


@dataclass
class CLIFigures:
    items: int
    warm_ms: list[float]
    cold_ms: list[float]
    load_before: Load
    load_after: Load

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "warm_ms": p50_p95(self.warm_ms, 1),
            "cold_ms": p50_p95(self.cold_ms, 1),
            "targets_ms": TARGETS_MS,
            "load_before": str(self.load_before),
            "load_after": str(self.load_after),
        }


def run(items: int = 1000, runs: int = 20, *, seed: int = 7) -> CLIFigures:
    before = load()
    with tempfile.TemporaryDirectory(prefix="lore-cli-bench-") as folder:
        home = Path(folder) / "home"
        settings = load_settings(overrides={"home": str(home)})
        with Lore.open(settings=settings) as lore:
            build_project(lore, items, vocabulary(), random.Random(seed))
        env = os.environ | {"LORE_HOME": str(home), "LORE_PROJECT": PROJECT}
        cold = [_timed(env | {"LORE_SERVICE__AUTOSTART": "0"}, folder) for _ in range(runs)]
        client.spawn(home, folder)
        try:
            _wait_for_service(home)
            _timed(env, folder)  # the service's first command loads the CLI and the model
            warm = [_timed(env, folder) for _ in range(runs)]
        finally:
            client.stop(home)
    return CLIFigures(items, warm, cold, before, load())


def _timed(env: dict[str, str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "lore", "search", QUERY],
        env=env,
        cwd=cwd,
        capture_output=True,
        check=True,
    )
    return (time.perf_counter() - started) * 1000


def _wait_for_service(home: Path) -> None:
    deadline = time.monotonic() + START_WAIT_S
    while client.ask(home, {"op": "status"}) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the local service did not start: see {home / 'logs'}")
        time.sleep(0.1)


def report(figures: CLIFigures) -> str:
    data = figures.as_dict()
    warm, cold = data["warm_ms"], data["cold_ms"]
    return "\n".join(
        [
            f'lore search "{QUERY}" over {figures.items:,} items, a new process each time:',
            f"  warm (the service answers): p50 {warm['p50']} ms, p95 {warm['p95']} ms"
            f" (target p95 < {TARGETS_MS['warm_p95']:.0f})",
            f"  cold (no service): p50 {cold['p50']} ms, p95 {cold['p95']} ms"
            f" (target p95 < {TARGETS_MS['cold_p95']:.0f})",
            f"  {figures.load_before} before, {figures.load_after} after",
        ]
    )
