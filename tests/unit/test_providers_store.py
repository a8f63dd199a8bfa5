"""The provider repositories on a real SQLite file: LLM call accounting and node vectors."""

from __future__ import annotations

import time

import numpy as np
import pytest

from lore.domain import Project, ProjectSettings
from lore.errors import EmbeddingMismatchError, ValidationError
from lore.providers.accounting import LLMCall, StoreRecorder
from lore.store.sqlite import SQLiteStore

DAY = 86_400.0


@pytest.fixture
def project(store: SQLiteStore) -> Project:
    return store.projects.create("demo", None, ProjectSettings())


def call(step: str = "annotate", **fields: object) -> LLMCall:
    base: dict[str, object] = {
        "provider": "openai",
        "model": "gpt-test",
        "step": step,
        "prompt_tokens": 100,
        "completion_tokens": 10,
        "duration_ms": 50.0,
    }
    return LLMCall(**{**base, **fields})  # type: ignore[arg-type]


def test_recorder_fills_context_and_bind_replaces_it(store: SQLiteStore, project: Project) -> None:
    recorder = StoreRecorder(store, project_id=project.id)
    recorder.bind(job_id=7, stage="enrich").record(call())
    recorder.bind(job_id=7, stage="enrich").bind(stage="deep_enrich").record(call("deep_enrich"))
    recorder.record(call(job_id=9, stage="embed"))  # the call's own context wins
    stored = store.llm_calls.recent(project_id=project.id)
    assert [(c.job_id, c.stage, c.step) for c in stored] == [
        (9, "embed", "annotate"),
        (7, "deep_enrich", "deep_enrich"),
        (7, "enrich", "annotate"),
    ]
    assert all(c.id is not None and c.created_at is not None for c in stored)
    assert recorder.job_id is None  # bind returned new recorders


def test_add_keeps_every_field(store: SQLiteStore, project: Project) -> None:
    original = call(
        outcome="fallback",
        error=None,
        fallback_from="openai:gpt-main",
        project_id=project.id,
        job_id=3,
        stage="enrich",
        created_at=1000.0,
    )
    added = store.llm_calls.add(original)
    [stored] = store.llm_calls.recent(job_id=3)
    assert stored == added
    assert (stored.outcome, stored.fallback_from, stored.created_at) == (
        "fallback",
        "openai:gpt-main",
        1000.0,
    )


def test_usage_per_job_stage_and_day(store: SQLiteStore, project: Project) -> None:
    now = time.time()
    for fields in [
        {"job_id": 1, "stage": "enrich", "created_at": now - 2 * DAY},
        {"job_id": 1, "stage": "enrich", "created_at": now - 2 * DAY, "outcome": "error"},
        {"job_id": 1, "stage": "deep_enrich", "created_at": now - DAY, "outcome": "fallback"},
        {"job_id": 2, "stage": "enrich", "created_at": now},
        {"job_id": None, "stage": None, "created_at": now},  # a recall call outside any job
    ]:
        store.llm_calls.add(call(project_id=project.id, **fields))
    store.llm_calls.add(call(project_id=None, job_id=1, created_at=now))  # another project

    per_job = store.llm_calls.usage("job", project_id=project.id)
    assert [(u.key, u.calls, u.errors, u.fallbacks) for u in per_job] == [
        (None, 1, 0, 0),
        (1, 3, 1, 1),
        (2, 1, 0, 0),
    ]
    assert per_job[1].prompt_tokens == 300 and per_job[1].total_tokens == 330

    per_stage = store.llm_calls.usage("stage", job_id=1, project_id=project.id)
    assert [(u.key, u.calls) for u in per_stage] == [("deep_enrich", 1), ("enrich", 2)]

    per_day = store.llm_calls.usage("day", project_id=project.id, since=now - 1.5 * DAY)
    assert [u.calls for u in per_day] == [1, 2]
    assert per_day[-1].key == time.strftime("%Y-%m-%d", time.gmtime(now))


def add_node(store: SQLiteStore, project_id: int, kind: str) -> int:
    with store.db.write() as conn:
        cursor = conn.execute(
            "INSERT INTO nodes (project_id, kind, created_at, updated_at) VALUES (?, ?, ?, ?)",
            (project_id, kind, time.time(), time.time()),
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def test_vectors_round_trip_and_replace(store: SQLiteStore, project: Project) -> None:
    a, b = add_node(store, project.id, "semantic"), add_node(store, project.id, "procedural")
    store.vectors.put("m1", [a, b], np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32))
    store.vectors.put("m1", [b], np.array([[0, 0, 1]], dtype=np.float64))
    got = store.vectors.get([a, b, 999])
    assert set(got) == {a, b}
    assert got[b].dtype == np.float32 and got[b].tolist() == [0, 0, 1]
    assert store.vectors.count(project.id) == 2
    assert store.vectors.delete([a]) == 1
    assert store.vectors.count(project.id, model="m1") == 1


def test_all_for_project_filters_kinds_and_keeps_to_the_project_model(
    store: SQLiteStore, project: Project
) -> None:
    other = store.projects.create("other", None, ProjectSettings())
    sem, proc, tag = (add_node(store, project.id, k) for k in ("semantic", "procedural", "tag"))
    foreign = add_node(store, other.id, "semantic")
    store.vectors.put("m1", [sem, proc, tag], np.eye(3, dtype=np.float32))
    store.vectors.put("m1", [foreign], np.ones((1, 3), dtype=np.float32))

    ids, matrix = store.vectors.all_for_project(project.id, kinds=["semantic", "procedural"])
    assert ids.tolist() == [sem, proc] and ids.dtype == np.int64
    assert matrix.tolist() == [[1, 0, 0], [0, 1, 0]] and matrix.dtype == np.float32

    store.projects.set_embedding_model(project.id, "m2", 2)
    store.vectors.put("m2", [tag], np.ones((1, 2), dtype=np.float32))  # half re-embedded
    ids, matrix = store.vectors.all_for_project(project.id)
    assert ids.tolist() == [tag] and matrix.shape == (1, 2)
    ids, matrix = store.vectors.all_for_project(project.id, model="m1")
    assert ids.tolist() == [sem, proc]
    empty_ids, empty = store.vectors.all_for_project(project.id, model="none")
    assert empty_ids.shape == (0,) and empty.shape == (0, 0)


def test_vectors_of_several_dimensions_never_stack(store: SQLiteStore, project: Project) -> None:
    a, b = add_node(store, project.id, "semantic"), add_node(store, project.id, "semantic")
    store.vectors.put("m", [a], np.ones((1, 3), dtype=np.float32))
    store.vectors.put("m", [b], np.ones((1, 4), dtype=np.float32))
    with pytest.raises(EmbeddingMismatchError, match="lore reembed"):
        store.vectors.all_for_project(project.id)


def test_put_checks_one_vector_per_id(store: SQLiteStore, project: Project) -> None:
    node = add_node(store, project.id, "semantic")
    with pytest.raises(ValidationError, match="expected 1 vectors"):
        store.vectors.put("m", [node], np.ones((2, 3), dtype=np.float32))
