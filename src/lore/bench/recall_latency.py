"""Recall latency benchmark: p50/p95 of ``Lore.recall`` over a project of N items, and what the
project costs (build time, first recall, database size, memory).

The project is synthetic but shaped like a real one: items (semantic and procedural, all six
types, draft and approved) whose titles and bodies draw words from an English vocabulary with a
Zipf distribution (so full-text queries meet common and rare words as they would), file paths,
schema keys, and tags linked to their items (so graph expansion has hubs to walk). Item vectors
are synthetic too, shaped like sentence embeddings: unit vectors near a 32-dimensional subspace
of the 384 dimensions, plus noise (random unit vectors are the worst case for an approximate
index and nothing like what a model produces; embedding a million texts would take hours).
Queries are embedded by the configured model.

Figures: ``latency_ms`` over distinct queries (each one embedded: the cold path an agent's new
question takes), ``cached_latency_ms`` for the same queries again (their vectors in the LRU:
agents repeat queries), ``embed_ms`` for the query embedding alone; ``index_s`` for the first
recall of the process that built the project (it builds the approximate index past
``recall.ann_min_vectors``), ``first_ms`` for the first recall of a fresh ``Lore`` on the same
home (what a new process pays: the saved index or the matrix is loaded); the database's and the
saved indexes' size; the process's resident memory after the queries and at its peak; and, past
the threshold, the approximate index's recall@10 against exact search over the same vectors.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import resource
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lore.bench.machine import load
from lore.bench.stats import p50_p95
from lore.config import load_settings
from lore.core import Lore
from lore.domain.graph import ITEM_KINDS, ITEM_TYPES, Changeset, LinkDraft, NodeDraft
from lore.providers.embeddings.local import DIM, MODEL
from lore.recall.ann import AnnIndex
from lore.store.base import Store

PROJECT = "bench"
BATCH = 2000
TAGS = 200
AREAS = ("api", "auth", "database", "cli", "frontend", "tests", "build", "deploy", "config")
# Targets of issue 13, p95 in ms: (new queries, repeated queries).
TARGETS_MS = {10_000: (12.0, 5.0), 100_000: (15.0, 10.0), 1_000_000: (50.0, 50.0)}
FIRST_TARGET_MS = {100_000: 200.0}
# Synthetic vectors: unit vectors near a subspace of this many dimensions, plus this much noise.
SUBSPACE = 32
NOISE = 0.1
# Queries of the approximate index's recall@10 against exact search.
ANN_QUERIES = 100


@dataclass(frozen=True)
class LatencyFigures:
    items: int
    queries: int
    latency_ms: list[float]
    cached_ms: list[float]
    embed_ms: list[float]
    first_ms: float
    build_s: float
    index_s: float
    database_mb: float
    index_mb: float
    rss_mb: float
    peak_rss_mb: float
    ann_recall: float | None
    load: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "queries": self.queries,
            "latency_ms": p50_p95(self.latency_ms),
            "cached_latency_ms": p50_p95(self.cached_ms),
            "embed_ms": p50_p95(self.embed_ms),
            "first_ms": round(self.first_ms, 2),
            "build_s": round(self.build_s, 2),
            "index_s": round(self.index_s, 2),
            "database_mb": round(self.database_mb, 1),
            "index_mb": round(self.index_mb, 1),
            "rss_mb": round(self.rss_mb),
            "peak_rss_mb": round(self.peak_rss_mb),
            "ann_recall_at_10": None if self.ann_recall is None else round(self.ann_recall, 4),
            "load": self.load,
        }


def run(items: int, queries: int = 300, *, seed: int = 7) -> LatencyFigures:
    rng = random.Random(seed)
    words = vocabulary()
    texts = [_query(words, rng) for _ in range(queries)]
    with tempfile.TemporaryDirectory(prefix="lore-recall-bench-") as folder:
        settings = load_settings(overrides={"home": folder})
        with Lore.open(settings=settings) as lore:
            started = time.perf_counter()
            project = build_project(lore, items, words, rng)
            build_s = time.perf_counter() - started
            started = time.perf_counter()
            lore.recall(project, "build the index", limit=10)
            index_s = time.perf_counter() - started
        # A new process on the same home: its first recall, its latency and its memory, none
        # of them helped (or burdened) by what building left in this one.
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            measured = pool.apply(_measure, (folder, project.id, texts, seed))
        database_mb = sum(_size(path) for path in Path(folder).glob("lore.db*")) / 1e6
        index_mb = sum(_size(path) for path in (Path(folder) / "vectors").glob("*")) / 1e6
    return LatencyFigures(
        items=items,
        queries=queries,
        build_s=build_s,
        index_s=index_s,
        database_mb=database_mb,
        index_mb=index_mb,
        load=str(load()),
        **measured,
    )


def _measure(folder: str, project_id: int, texts: list[str], seed: int) -> dict[str, Any]:
    """In a fresh interpreter: the first recall, then every query twice, then memory."""
    with Lore.open(settings=load_settings(overrides={"home": folder})) as lore:
        lore.recall_service.warm()
        started = time.perf_counter()
        lore.recall(project_id, "warm up the vector index", limit=10)
        first_ms = (time.perf_counter() - started) * 1000
        latency = [_timed(lore, project_id, text) for text in texts]
        cached = [_timed(lore, project_id, text) for text in texts]
        embed = _embed_times(lore, texts)
        rss_mb = resident_mb()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        dense = lore.recall_service.vectors.matrix(project_id)
        ann_recall = None
        if isinstance(dense, AnnIndex):
            ann_recall = ann_recall_at_10(lore.store, project_id, dense, random.Random(seed))
    return {
        "latency_ms": latency,
        "cached_ms": cached,
        "embed_ms": embed,
        "first_ms": first_ms,
        "rss_mb": rss_mb,
        "peak_rss_mb": peak_mb,
        "ann_recall": ann_recall,
    }


def curve(sizes: Sequence[int], queries: int = 300) -> list[LatencyFigures]:
    """One run per size, smallest first."""
    return [run(items, queries) for items in sorted(sizes)]


def build_project(lore: Lore, items: int, words: list[str], rng: random.Random) -> Any:
    project = lore.create_project(PROJECT)
    lore.store.projects.set_embedding_model(project.id, MODEL, DIM)
    session = lore.store.sessions.create(project.id, "bench")
    vectors = np.random.default_rng(rng.randrange(2**32))
    basis = vectors.standard_normal((SUBSPACE, DIM)).astype(np.float32)
    for start in range(0, items, BATCH):
        count = min(BATCH, items - start)
        changeset = _changeset(session.id, start, count, words, rng)
        applied = lore.store.graph.apply(project.id, changeset)
        ids = [applied.ids[f"n{start + offset}"] for offset in range(count)]
        lore.store.vectors.put(MODEL, ids, embedding_like(vectors, basis, count))
    return lore.project(project.id)


def embedding_like(
    rng: np.random.Generator, basis: NDArray[np.float32], count: int
) -> NDArray[np.float32]:
    """``count`` unit vectors near the subspace ``basis`` spans, as sentence embeddings lie."""
    near = rng.standard_normal((count, len(basis))).astype(np.float32) @ basis
    noise = rng.standard_normal(near.shape).astype(np.float32) * NOISE * np.sqrt(len(basis))
    matrix: NDArray[np.float32] = near + noise
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix


def ann_recall_at_10(store: Store, project_id: int, index: AnnIndex, rng: random.Random) -> float:
    """Share of the exact ten nearest (over every vector, read page by page) that the
    approximate index returns, over ``ANN_QUERIES`` queries drawn like the vectors."""
    model = store.projects.get(project_id).embedding_model or MODEL
    first, _ = store.vectors.page(project_id, model, after_id=0, limit=ANN_QUERIES)
    sample = np.stack(list(store.vectors.get([int(i) for i in first], model=model).values()))
    noise = np.random.default_rng(rng.randrange(2**32)).standard_normal(sample.shape)
    queries = (sample + 0.5 * noise.astype(np.float32) / np.sqrt(DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    best_scores = np.zeros((len(queries), 0), dtype=np.float32)
    after = 0
    while True:
        ids, matrix = store.vectors.page(project_id, model, after_id=after, limit=50_000)
        if not len(ids):
            break
        scores = queries @ matrix.T
        best_ids = np.concatenate([best_ids, np.broadcast_to(ids, scores.shape)], axis=1)
        best_scores = np.concatenate([best_scores, scores], axis=1)
        keep = np.argsort(-best_scores, axis=1)[:, :10]
        best_ids = np.take_along_axis(best_ids, keep, axis=1)
        best_scores = np.take_along_axis(best_scores, keep, axis=1)
        after = int(ids[-1])
    found = 0
    for query, exact in zip(queries, best_ids, strict=True):
        found += len(set(index.top(query, 10, ITEM_KINDS)) & set(exact.tolist()))
    return found / (10 * len(queries))


def resident_mb() -> float:
    """The process's resident memory now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _embed_times(lore: Lore, texts: Sequence[str]) -> list[float]:
    embedder = lore.recall_service.embedder
    times = []
    for text in texts:
        started = time.perf_counter()
        embedder.embed([text + " again"])
        times.append((time.perf_counter() - started) * 1000)
    return times


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


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
    new_target, repeated_target = TARGETS_MS.get(figures.items, (None, None))
    first_target = FIRST_TARGET_MS.get(figures.items)
    ann = data["ann_recall_at_10"]
    lines = [
        f"{data['items']:,} items, {data['queries']} queries; {data['load']}",
        f"built in {data['build_s']} s; first recall there {data['index_s']} s"
        f" (builds the approximate index past the threshold)",
        f"recall, new queries:    p50 {data['latency_ms']['p50']} ms, p95 "
        f"{data['latency_ms']['p95']} ms" + _target(new_target),
        f"recall, repeated:       p50 {data['cached_latency_ms']['p50']} ms, p95 "
        f"{data['cached_latency_ms']['p95']} ms" + _target(repeated_target),
        f"query embedding alone:  p50 {data['embed_ms']['p50']} ms, p95 {data['embed_ms']['p95']} ms",
        f"first recall of a new Lore: {data['first_ms']} ms" + _target(first_target),
        f"database {data['database_mb']} MB, saved index {data['index_mb']} MB;"
        f" memory {data['rss_mb']} MB after the queries, {data['peak_rss_mb']} MB at the peak",
    ]
    if ann is not None:
        lines.append(f"approximate index: recall@10 against exact search {ann} (target 0.98)")
    return "\n".join(lines)


def _target(ms: float | None) -> str:
    return f" (target < {ms:g} ms)" if ms else ""


def plot(figures: Sequence[LatencyFigures], path: Path) -> None:
    """Latency (p50 and p95, new and repeated queries) and memory against items, log scales."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    items = [f.items for f in figures]
    data = [f.as_dict() for f in figures]
    fig, (latency, memory) = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in (("latency_ms", "new query"), ("cached_latency_ms", "repeated query")):
        for pct, style in (("p50", "--"), ("p95", "-")):
            values = [d[key][pct] for d in data]
            latency.plot(items, values, style, marker="o", label=f"{label} {pct}")
    latency.set(xscale="log", yscale="log", xlabel="items", ylabel="ms", title="recall latency")
    latency.grid(True, which="both", alpha=0.3)
    latency.legend(fontsize=8)
    for key, style, label in (
        ("rss_mb", "-", "RSS after queries"),
        ("database_mb", "--", "database"),
        ("index_mb", ":", "saved index"),
    ):  # a size of 0 (no saved index below the threshold) has no place on a log scale
        shown = [(n, d[key]) for n, d in zip(items, data, strict=True) if d[key] > 0]
        memory.plot([n for n, _ in shown], [v for _, v in shown], style, marker="o", label=label)
    memory.set(xscale="log", yscale="log", xlabel="items", ylabel="MB", title="size")
    memory.grid(True, which="both", alpha=0.3)
    memory.legend(fontsize=8)
    fig.suptitle(f"lore bench recall ({figures[-1].load})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
