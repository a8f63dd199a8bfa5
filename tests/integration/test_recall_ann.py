"""The approximate index of large projects, on a real SQLite store: the same answers as exact
search, saved and loaded again by a new process, caught up from the change log."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lore.domain import Project, ProjectSettings
from lore.recall import ann as ann_module
from lore.recall.ann import AnnIndex
from lore.recall.vectors import ProjectMatrix, VectorCache
from lore.store.sql import vectors as sql_vectors
from lore.store.sqlite import SQLiteStore
from tests.integration.test_providers_embeddings import add_node

MODEL = "test-model"
ROWS = 600


@pytest.fixture
def project(store: SQLiteStore) -> Project:
    project = store.projects.create("big", None, ProjectSettings())
    return store.projects.set_embedding_model(project.id, MODEL, 32)


def unit(rows: int, seed: int) -> np.ndarray:
    matrix = np.random.default_rng(seed).standard_normal((rows, 32)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def fill(store: SQLiteStore, project: Project, rows: int = ROWS) -> list[int]:
    ids = [
        add_node(store, project.id, "semantic" if i % 3 else "tag", f"n{i}") for i in range(rows)
    ]
    store.vectors.put(MODEL, ids, unit(rows, seed=1))
    return ids


def cache(store: SQLiteStore, folder: Path) -> VectorCache:
    return VectorCache(store, folder, ann_min_vectors=100)


def test_past_the_threshold_the_index_answers_as_exact_search_does(
    store: SQLiteStore, project: Project, tmp_path: Path
) -> None:
    fill(store, project)
    approximate = cache(store, tmp_path / "vectors").matrix(project.id)
    exact = VectorCache(store, tmp_path / "unused", ann_min_vectors=10_000).matrix(project.id)
    assert isinstance(approximate, AnnIndex) and isinstance(exact, ProjectMatrix)
    assert len(approximate) == len(exact) == ROWS
    kinds = ["semantic"]
    found_of_ten = 0
    for query in unit(50, seed=2):
        found = approximate.top(query, 10, kinds)
        expected = exact.top(query, 10, kinds)
        true = exact.cosines(query, found)
        assert len(found) == 10
        assert all(found[node] == pytest.approx(true[node], abs=2e-3) for node in found)
        # One of the ten, or tied with the tenth within half precision.
        tenth = min(expected.values())
        found_of_ten += sum(1 for node in found if true[node] >= tenth - 2e-3)
    assert found_of_ten / 500 >= 0.98  # the recall@10 the index must keep (issue 13)
    allowed = list(exact.top(unit(1, 5)[0], 40, ["semantic", "tag"]))[:7]
    query = unit(1, seed=3)[0]
    assert set(approximate.top(query, 5, ["semantic", "tag"], allowed)) == set(
        exact.top(query, 5, ["semantic", "tag"], allowed)
    )
    first, second = allowed[:2]
    assert approximate.similarity(first, second) == pytest.approx(
        exact.similarity(first, second), abs=2e-3
    )


def test_a_new_process_loads_the_saved_index_and_catches_up(
    store: SQLiteStore, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = fill(store, project)
    folder = tmp_path / "vectors"
    built = cache(store, folder).matrix(project.id)
    assert isinstance(built, AnnIndex)
    [saved] = folder.glob("*.usearch")
    assert saved.name == f"project-{project.id}-test_model-{built.seq}.usearch"

    mapped = cache(store, folder).matrix(project.id)  # nothing changed: read from the file
    assert isinstance(mapped, AnnIndex) and mapped.mapped_from == saved and len(mapped) == ROWS

    store.graph.delete([ids[1]])  # gone: never returned again
    moved = ids[2]
    store.vectors.put(MODEL, [moved], unit(1, seed=9))  # its vector replaced
    monkeypatch.setattr(AnnIndex, "build", None)  # a rebuild would fail loudly
    loaded = cache(store, folder).matrix(project.id)
    assert isinstance(loaded, AnnIndex) and len(loaded) == ROWS - 1
    assert loaded.mapped_from is None  # copied to memory to take the changes
    assert ids[1] not in loaded.top(unit(600, seed=1)[1], 10, ["semantic"])
    assert next(iter(loaded.top(unit(1, seed=9)[0], 1, ["semantic"]))) == moved


def test_a_running_cache_catches_up_instead_of_rebuilding(
    store: SQLiteStore, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(store, project)
    vectors = cache(store, tmp_path / "vectors")
    first = vectors.matrix(project.id)
    monkeypatch.setattr(AnnIndex, "build", None)
    new = add_node(store, project.id, "semantic", "new")
    store.vectors.put(MODEL, [new], unit(1, seed=11))
    again = vectors.matrix(project.id)
    assert again is first and len(again) == ROWS + 1
    assert next(iter(again.top(unit(1, seed=11)[0], 1, ["semantic"]))) == new


def test_a_saved_index_that_disagrees_with_the_store_is_built_again(
    store: SQLiteStore, project: Project, tmp_path: Path
) -> None:
    ids = fill(store, project)
    folder = tmp_path / "vectors"
    cache(store, folder).matrix(project.id)
    with store.db.write() as conn:  # as if the database were replaced behind the file
        conn.execute("DELETE FROM vector_changes")
        conn.execute("DELETE FROM embeddings WHERE node_id = ?", (ids[0],))
        conn.execute("DELETE FROM vector_changes")
    loaded = cache(store, folder).matrix(project.id)
    assert len(loaded) == ROWS - 1
    assert len(list(folder.glob("*.usearch"))) == 1


def test_the_index_is_saved_again_after_many_changes(
    store: SQLiteStore, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = fill(store, project)
    monkeypatch.setattr(ann_module, "SAVE_AFTER", 50)
    folder = tmp_path / "vectors"
    vectors = cache(store, folder)
    first = vectors.matrix(project.id)
    assert isinstance(first, AnnIndex)
    store.vectors.put(MODEL, ids[:60], unit(60, seed=12))
    caught_up = vectors.matrix(project.id)
    assert isinstance(caught_up, AnnIndex) and caught_up.unsaved == 0
    [saved] = folder.glob("*.usearch")
    assert saved.name.endswith(f"-{caught_up.seq}.usearch")


def test_a_kind_few_nodes_have_is_scored_exactly(
    store: SQLiteStore, project: Project, tmp_path: Path
) -> None:
    fill(store, project)
    intents = [add_node(store, project.id, "intent", f"intent {i}") for i in range(3)]
    far = -unit(1, seed=4)  # the intents point away from the query: not among its neighbours
    store.vectors.put(MODEL, intents, np.repeat(far, 3, axis=0))
    index = cache(store, tmp_path / "vectors").matrix(project.id)
    assert isinstance(index, AnnIndex)
    found = index.top(unit(1, seed=4)[0], 5, ["intent"])
    assert set(found) == set(intents)
    assert all(score == pytest.approx(-1.0, abs=2e-3) for score in found.values())
    assert index.top(unit(1, seed=4)[0], 5, ["step"]) == {}


def test_vectors_are_read_for_more_ids_than_one_sql_statement_takes(
    store: SQLiteStore, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = list(range(1, 40_001))  # past SQLite's 32,766 variables: a catch-up after a big job
    assert store.vectors.get(many, model=MODEL) == {} and store.vectors.of_events(many, MODEL) == {}
    ids = fill(store, project, rows=5)
    monkeypatch.setattr(sql_vectors, "IN_LIST", 2)  # three statements, their rows merged
    assert set(store.vectors.get(ids, model=MODEL)) == set(ids)
