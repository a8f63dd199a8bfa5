"""Recall latency benchmark: p50/p95 of ``Lore.recall`` over a project of N items.

The project is synthetic but shaped like a real one: items (semantic and procedural, all six
types, draft and approved) whose titles and bodies draw words from an English vocabulary with a
Zipf distribution (so full-text queries meet common and rare words as they would), file paths,
schema keys, and tags linked to their items (so graph expansion has hubs to walk). Item vectors
are random unit vectors: the matrix product costs the same whatever they hold, and embedding
100,000 texts would take most of the run. Queries are embedded by the configured model.

Figures: ``latency_ms`` over distinct queries (each one embedded: the cold path an agent's new
question takes), ``cached_latency_ms`` for the same queries again (their vectors in the LRU:
agents repeat queries), ``embed_ms`` for the query embedding alone, and ``first_ms`` for the
first recall after opening (it loads the project's matrix).
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from lore.bench.stats import p50_p95
from lore.config import load_settings
from lore.core import Lore
from lore.domain.graph import ITEM_TYPES, Changeset, LinkDraft, NodeDraft
from lore.providers.embeddings.local import DIM, MODEL

PROJECT = "bench"
BATCH = 2000
TAGS = 200
AREAS = ("api", "auth", "database", "cli", "frontend", "tests", "build", "deploy", "config")
TARGETS_MS = {10_000: 5.0, 100_000: 20.0}


@dataclass(frozen=True)
class LatencyFigures:
    items: int
    queries: int
    latency_ms: list[float]
    cached_ms: list[float]
    embed_ms: list[float]
    first_ms: float
    build_s: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "queries": self.queries,
            "latency_ms": p50_p95(self.latency_ms),
            "cached_latency_ms": p50_p95(self.cached_ms),
            "embed_ms": p50_p95(self.embed_ms),
            "first_ms": round(self.first_ms, 2),
            "build_s": round(self.build_s, 2),
        }


def run(items: int, queries: int = 300, *, seed: int = 7) -> LatencyFigures:
    rng = random.Random(seed)
    words = vocabulary()
    with (
        tempfile.TemporaryDirectory(prefix="lore-recall-bench-") as folder,
        Lore.open(settings=load_settings(overrides={"home": folder})) as lore,
    ):
        started = time.perf_counter()
        project = build_project(lore, items, words, rng)
        build_s = time.perf_counter() - started
        texts = [_query(words, rng) for _ in range(queries)]
        lore.recall_service.warm()
        started = time.perf_counter()
        lore.recall(project, "warm up the vector matrix", limit=10)
        first_ms = (time.perf_counter() - started) * 1000
        latency = [_timed(lore, project.id, text) for text in texts]
        cached = [_timed(lore, project.id, text) for text in texts]
        embedder = lore.recall_service.embedder
        embed = []
        for text in texts:
            started = time.perf_counter()
            embedder.embed([text + " again"])
            embed.append((time.perf_counter() - started) * 1000)
    return LatencyFigures(items, queries, latency, cached, embed, first_ms, build_s)


def build_project(lore: Lore, items: int, words: list[str], rng: random.Random) -> Any:
    project = lore.create_project(PROJECT)
    lore.store.projects.set_embedding_model(project.id, MODEL, DIM)
    session = lore.store.sessions.create(project.id, "bench")
    vectors = np.random.default_rng(rng.randrange(2**32))
    for start in range(0, items, BATCH):
        count = min(BATCH, items - start)
        changeset = _changeset(session.id, start, count, words, rng)
        applied = lore.store.graph.apply(project.id, changeset)
        ids = [applied.ids[f"n{start + offset}"] for offset in range(count)]
        matrix = vectors.standard_normal((count, DIM)).astype(np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        lore.store.vectors.put(MODEL, ids, matrix)
    return lore.project(project.id)


def _changeset(
    session_id: int, start: int, count: int, words: list[str], rng: random.Random
) -> Changeset:
    nodes: list[NodeDraft] = []
    links: list[LinkDraft] = []
    for index in range(start, start + count):
        area = rng.choice(AREAS)
        module = _zipf_word(words, rng)
        tag = f"t{rng.randrange(TAGS)}"
        nodes.append(
            NodeDraft(
                ref=f"n{index}",
                kind="procedural" if rng.random() < 0.2 else "semantic",
                type=rng.choice(ITEM_TYPES),
                title=" ".join(_zipf_word(words, rng) for _ in range(rng.randint(4, 8))),
                body=" ".join(_zipf_word(words, rng) for _ in range(rng.randint(15, 40)))
                + f" See src/{area}/{module}.py and {module}_{_zipf_word(words, rng)}().",
                files=[f"src/{area}/{module}.py"],
                tags=[tag],
                schema_key=f"root/{area}/{module}",
                status="approved" if rng.random() < 0.3 else "draft",
                confidence=round(rng.uniform(0.4, 1.0), 2),
            )
        )
        nodes.append(NodeDraft(ref=f"tag-{index}", kind="tag", title=tag))
        links.append(LinkDraft(kind="membership", src=f"tag-{index}", dst=f"n{index}"))
    return Changeset(session_id=session_id, nodes=nodes, links=links)


def _timed(lore: Lore, project_id: int, text: str) -> float:
    started = time.perf_counter()
    lore.recall(project_id, text, limit=10)
    return (time.perf_counter() - started) * 1000


def _query(words: list[str], rng: random.Random) -> str:
    asked = " ".join(_zipf_word(words, rng) for _ in range(rng.randint(3, 7)))
    if rng.random() < 0.3:
        asked += f" in src/{rng.choice(AREAS)}/{_zipf_word(words, rng)}.py"
    return f"how does {asked} work?" if rng.random() < 0.5 else asked


def _zipf_word(words: list[str], rng: random.Random) -> str:
    # Rank r is drawn with probability ~ 1/r (Zipf): a few words are everywhere, most are rare.
    rank = int(len(words) ** rng.random()) - 1
    return words[min(rank, len(words) - 1)]


def vocabulary() -> list[str]:
    """English words of the bundled tokenizer's vocabulary, roughly by frequency."""
    path = resources.files("lore") / "resources" / MODEL / "tokenizer.json"
    vocab = json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]
    ranked = sorted(vocab, key=vocab.get)
    return [word for word in ranked if word.isalpha() and word.islower() and len(word) > 2]


def report(figures: LatencyFigures) -> str:
    data = figures.as_dict()
    target = TARGETS_MS.get(figures.items)
    lines = [
        f"{data['items']} items, {data['queries']} queries (project built in {data['build_s']} s)",
        f"recall, new queries:    p50 {data['latency_ms']['p50']} ms, p95 "
        f"{data['latency_ms']['p95']} ms" + (f" (target p95 < {target} ms)" if target else ""),
        f"recall, repeated:       p50 {data['cached_latency_ms']['p50']} ms, p95 "
        f"{data['cached_latency_ms']['p95']} ms",
        f"query embedding alone:  p50 {data['embed_ms']['p50']} ms, p95 {data['embed_ms']['p95']} ms",
        f"first recall (loads the matrix): {data['first_ms']} ms",
    ]
    return "\n".join(lines)
