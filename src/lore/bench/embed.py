"""Embedding benchmark for the bundled local model: cold load in a fresh process, throughput on
short texts (memory-item-sized sentences, embedded in one call, batched inside), and the latency
of one text (a recall query).
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

from lore.providers.embeddings.local import DIM, MODEL, THREADS, local_embedder

TARGETS = {"cold_load_s": 1.0, "texts_per_s": 400.0}

# A fresh interpreter imports onnxruntime, opens the model and the tokenizer, embeds one text.
_COLD_LOAD = """
import time
started = time.perf_counter()
from lore.providers.embeddings.local import LocalEmbedder
LocalEmbedder().embed(["warm up"])
print(time.perf_counter() - started)
"""

_SUBJECTS = ["the login handler", "our retry policy", "the session store", "this migration",
             "the CLI", "the auth token", "the cache layer", "the worker", "the embedder",
             "the dashboard", "the git hook", "the recall index"]  # fmt: skip
_VERBS = ["uses", "must not call", "was changed to use", "depends on", "replaces", "validates",
          "logs", "retries on", "stores", "skips", "is slow because of", "was fixed by"]  # fmt: skip
_OBJECTS = ["exponential backoff", "SQLite WAL mode", "a per-thread connection", "the config file",
            "JSON schema output", "bcrypt hashes", "UTC timestamps", "a four hour window",
            "rate limits from the API", "an index on created_at", "the project settings",
            "a background thread"]  # fmt: skip


@dataclass(frozen=True)
class EmbedFigures:
    model: str
    dim: int
    threads: int
    cold_load_s: float
    texts: int
    batch_size: int
    mean_words: float
    texts_per_s: float
    single_p50_ms: float
    single_p99_ms: float

    def meets_targets(self) -> dict[str, bool]:
        return {
            "cold_load_s": self.cold_load_s < TARGETS["cold_load_s"],
            "texts_per_s": self.texts_per_s >= TARGETS["texts_per_s"],
        }


def run(
    *, texts: int = 2000, batch_size: int = 32, singles: int = 200, rounds: int = 3
) -> EmbedFigures:
    """Each figure is the median of ``rounds`` measurements."""
    cold = statistics.median(cold_load_s() for _ in range(rounds))
    sample = short_texts(texts)
    embedder = local_embedder(batch_size)
    embedder.embed(sample[:batch_size])
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        embedder.embed(sample)
        rates.append(len(sample) / (time.perf_counter() - started))
    latencies = []
    for text in sample[:singles]:
        started = time.perf_counter()
        embedder.embed([text])
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return EmbedFigures(
        model=MODEL,
        dim=DIM,
        threads=THREADS,
        cold_load_s=cold,
        texts=len(sample),
        batch_size=batch_size,
        mean_words=statistics.fmean(len(text.split()) for text in sample),
        texts_per_s=statistics.median(rates),
        single_p50_ms=latencies[len(latencies) // 2],
        single_p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    )


def cold_load_s() -> float:
    """Seconds from a fresh interpreter to the first embedding (imports included)."""
    done = subprocess.run(
        [sys.executable, "-c", _COLD_LOAD], capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def short_texts(count: int, seed: int = 7) -> list[str]:
    """Distinct-enough sentences of 5 to 12 words, like memory items and queries."""
    chooser = random.Random(seed)
    return [
        f"{chooser.choice(_SUBJECTS).capitalize()} {chooser.choice(_VERBS)}"
        f" {chooser.choice(_OBJECTS)}."
        for _ in range(count)
    ]


def as_dict(figures: EmbedFigures) -> dict[str, Any]:
    return {**asdict(figures), "targets": TARGETS, "meets_targets": figures.meets_targets()}


def report(figures: EmbedFigures) -> str:
    met = figures.meets_targets()

    def mark(key: str) -> str:
        return "ok" if met[key] else "MISSED"

    return "\n".join(
        [
            f"model        {figures.model} int8 ONNX, {figures.dim} dims,"
            f" {figures.threads} threads",
            f"cold load    {figures.cold_load_s:.2f} s (target < 1 s: {mark('cold_load_s')})",
            f"throughput   {figures.texts_per_s:.0f} texts/s over {figures.texts} texts of"
            f" {figures.mean_words:.1f} words, batches of {figures.batch_size}"
            f" (target >= 400: {mark('texts_per_s')})",
            f"one text     p50 {figures.single_p50_ms:.1f} ms, p99 {figures.single_p99_ms:.1f} ms",
        ]
    )
