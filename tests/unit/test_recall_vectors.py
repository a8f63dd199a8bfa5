"""The vector matrix: exact search, the sign-bit shortlist above EXACT_ROWS, filters and LRU."""

from __future__ import annotations

import numpy as np
import pytest

from lore.recall import vectors
from lore.recall.vectors import ProjectMatrix, QueryVectors, shortlist, sign_bits


def unit_rows(count: int, seed: int = 3) -> np.ndarray:
    matrix = np.random.default_rng(seed).standard_normal((count, 384)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def project(matrix: np.ndarray, kinds: list[str] | None = None) -> ProjectMatrix:
    ids = np.arange(100, 100 + len(matrix), dtype=np.int64)
    kind_array = np.array(kinds or ["semantic"] * len(matrix), dtype=np.str_)
    return ProjectMatrix(ids, kind_array, matrix)


def test_exact_search_returns_the_most_similar_rows_with_their_cosines() -> None:
    matrix = unit_rows(500)
    found = project(matrix).top(matrix[7], 3, ["semantic"])
    assert max(found, key=found.__getitem__) == 107
    assert found[107] == pytest.approx(1.0, abs=1e-5)
    assert len(found) == 3


def test_kinds_and_allowed_ids_keep_rows_out() -> None:
    matrix = unit_rows(50)
    kinds = ["semantic"] * 25 + ["tag"] * 25
    index = project(matrix, kinds)
    found = index.top(matrix[30], 10, ["semantic"])
    assert len(found) == 10 and all(node_id < 125 for node_id in found)
    assert index.top(matrix[30], 10, ["intent"]) == {}
    assert set(index.top(matrix[30], 10, ["semantic", "tag"], allowed=[101, 130, 999])) == {
        101,
        130,
    }


def test_the_shortlist_finds_what_exact_search_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    matrix = unit_rows(3000)
    exact = project(matrix)
    monkeypatch.setattr(vectors, "EXACT_ROWS", 1000)
    monkeypatch.setattr(vectors, "SHORTLIST_MIN", 300)
    quick = project(matrix)
    assert quick.bits is not None and quick.bits.shape == (6, 3000) and exact.bits is None
    query = matrix[42] + 0.5 * matrix[43]
    query /= np.linalg.norm(query)
    best_exact = sorted(exact.top(query, 10, ["semantic"]).items())
    best_quick = sorted(quick.top(query, 10, ["semantic"]).items())
    assert [node for node, _ in best_quick][:2] == [node for node, _ in best_exact][:2]
    assert {142, 143} <= {node for node, _ in best_quick}


def test_sign_bits_pack_384_dimensions_into_six_words() -> None:
    bits = sign_bits(unit_rows(4))
    assert bits.shape == (4, 6) and bits.dtype == np.uint64


def test_the_shortlist_grows_with_k_and_the_matrix() -> None:
    assert shortlist(10, 30_000) == 1000
    assert shortlist(200, 30_000) == 2000
    assert shortlist(10, 200_000) == 4000


def test_cosines_of_known_nodes_only() -> None:
    matrix = unit_rows(5)
    found = project(matrix).cosines(matrix[0], [100, 104, 999])
    assert set(found) == {100, 104}
    assert found[100] == pytest.approx(1.0, abs=1e-5)


def test_query_vectors_are_embedded_once_and_evicted_oldest_first() -> None:
    calls: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.extend(texts)
        return unit_rows(len(texts), seed=len(calls))

    queries = QueryVectors(embed, size=2)
    first = queries("a")
    assert queries("a") is first
    queries("b")
    queries("c")
    queries("a")
    assert calls == ["a", "b", "c", "a"]


def test_soon_embeds_on_a_worker_thread_and_remembers() -> None:
    import threading

    threads: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        threads.append(threading.current_thread().name)
        return unit_rows(len(texts))

    queries = QueryVectors(embed, size=4)
    vector = queries.soon("a")()
    assert threads == [threads[0]] and threads[0].startswith("lore-query-embed")
    assert queries.soon("a")() is vector
    assert len(threads) == 1
    queries.close()
