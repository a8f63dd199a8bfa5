"""Embedders for real: the bundled local model, and the OpenAI-compatible client against a fake
server; project model checks and re-embedding on a real SQLite store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import numpy as np
import pytest

from lore.config import Settings
from lore.domain import Project, ProjectSettings
from lore.errors import ConfigError, EmbeddingMismatchError, ProviderError
from lore.providers.embeddings import (
    CachedEmbedder,
    Embedder,
    build_embedder,
    embedding_text,
    ensure_project_embedding,
)
from lore.providers.embeddings.local import LocalEmbedder
from lore.recall.reembed import reembed
from lore.store.sqlite import SQLiteStore
from tests.fake_llm import FakeLLM, Reply, fake_llm_server, openai_embeddings


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    embedder = build_embedder(Settings())
    assert isinstance(embedder, LocalEmbedder)
    return embedder


@pytest.fixture
def project(store: SQLiteStore) -> Project:
    return store.projects.create("demo", None, ProjectSettings())


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with fake_llm_server() as server:
        yield server


def add_node(store: SQLiteStore, project_id: int, kind: str, title: str, body: str = "") -> int:
    with store.db.write() as conn:
        row = conn.execute(
            "INSERT INTO nodes (project_id, kind, title, body, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (project_id, kind, title, body, time.time(), time.time()),
        ).fetchone()
    return int(row[0])


def add_step_with_subgoal(store: SQLiteStore, project_id: int, subgoal: str) -> int:
    session = store.sessions.create(project_id, "test")
    with store.db.write() as conn:
        episode = conn.execute(
            "INSERT INTO episodes (session_id, started_at) VALUES (?, ?)", (session.id, time.time())
        ).lastrowid
        cursor = conn.execute(
            "INSERT INTO steps (session_id, episode_id, seq, observation, action, subgoal,"
            " subgoal_vec, created_at) VALUES (?, ?, 0, 'o', 'a', ?, ?, ?)",
            (session.id, episode, subgoal, np.ones(3, dtype=np.float32).tobytes(), time.time()),
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def test_local_embedder_shape_dtype_and_unit_norm(local: LocalEmbedder) -> None:
    vectors = local.embed(["How do I reset my password?", "", "x " * 2000])
    assert vectors.shape == (3, 384) and local.dim == 384
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert local.embed([]).shape == (0, 384)


def test_local_embedder_puts_paraphrases_closer_than_unrelated_text(local: LocalEmbedder) -> None:
    query, paraphrase, unrelated = local.embed(
        [
            "The database connection is retried with exponential backoff.",
            "We retry connecting to the DB, waiting longer after each failure.",
            "The cat sat on the mat in the afternoon sun.",
        ]
    )
    assert float(query @ paraphrase) > 0.5
    assert float(query @ paraphrase) > float(query @ unrelated) + 0.3


def test_local_embedder_is_deterministic_and_batch_independent(local: LocalEmbedder) -> None:
    texts = [f"note number {i} about {'caching ' * (i % 7)}" for i in range(70)]
    together = local.embed(texts)
    again = local.embed(texts)
    one_by_one = np.stack([local.embed([text])[0] for text in texts[:5]])
    assert np.array_equal(together, again)
    assert np.allclose(together[:5], one_by_one, atol=1e-5)


def test_local_embedder_is_loaded_once_per_process(local: LocalEmbedder) -> None:
    assert build_embedder(Settings()) is local


class Counting:
    """The local model, recording every list of texts it is asked to embed."""

    def __init__(self, embedder: LocalEmbedder) -> None:
        self.embedder = embedder
        self.model, self.dim = embedder.model, embedder.dim
        self.calls: list[list[str]] = []

    def embed(self, texts: Any) -> Any:
        self.calls.append(list(texts))
        return self.embedder.embed(texts)

    def close(self) -> None:
        self.closed = True


def test_cached_embedder_embeds_each_text_once(local: LocalEmbedder) -> None:
    counting = Counting(local)
    cached = CachedEmbedder(counting, size=3)
    first = cached.embed(["red", "green", "red"])
    assert counting.calls == [["red", "green"]]
    assert np.array_equal(first, local.embed(["red", "green", "red"]))
    again = cached.embed(["green", "blue", "red"])
    assert counting.calls[1:] == [["blue"]]
    assert np.array_equal(again, local.embed(["green", "blue", "red"]))
    assert cached.embed([]).shape == (0, local.dim)
    assert (cached.model, cached.dim) == (local.model, local.dim)


def test_cached_embedder_forgets_the_least_recently_used(local: LocalEmbedder) -> None:
    counting = Counting(local)
    cached = CachedEmbedder(counting, size=2)
    cached.embed(["a", "b"])
    cached.embed(["a", "c"])  # b is now the oldest, and goes
    cached.embed(["a", "b"])
    assert counting.calls == [["a", "b"], ["c"], ["b"]]
    cached.close()
    assert counting.closed


def test_local_embedder_refuses_another_model_name() -> None:
    with pytest.raises(ConfigError, match="only all-MiniLM-L6-v2"):
        build_embedder(Settings(embedding={"model": "bge-small"}))


def remote(url: str, **extra: Any) -> closing[Embedder]:
    """An OpenAI-compatible embedder on ``url``, closed at the end of a ``with`` block."""
    settings = Settings(
        embedding={
            "provider": "openai",
            "base_url": url,
            "model": "text-embed-test",
            "api_key": "sk-embed",
            "batch_size": 2,
            "backoff_base_s": 0.001,
            "backoff_max_s": 0.01,
            **extra,
        }
    )
    return closing(build_embedder(settings))


def test_openai_embedder_batches_orders_and_normalises(fake: FakeLLM) -> None:
    fake.queue(
        openai_embeddings([[3.0, 4.0], [0.0, 2.0]], shuffled=True),
        openai_embeddings([[1.0, 0.0], [0.0, 0.0]]),
        openai_embeddings([[6.0, 8.0]]),
    )
    with remote(fake.openai_url) as embedder:
        vectors = embedder.embed(["a", "b", "c", "", "e"])
    assert embedder.dim == 2 and embedder.model == "text-embed-test"
    expected = [[0.6, 0.8], [0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [0.6, 0.8]]
    assert np.allclose(vectors, expected)
    assert [r.body["input"] for r in fake.requests] == [["a", "b"], ["c", " "], ["e"]]
    assert fake.requests[0].body["model"] == "text-embed-test"
    assert fake.requests[0].headers["authorization"] == "Bearer sk-embed"


def test_openai_embedder_learns_its_dimension_with_one_probe(fake: FakeLLM) -> None:
    with remote(fake.openai_url) as embedder:
        assert embedder.dim == 8
        assert embedder.dim == 8
    assert len(fake.requests) == 1


def test_openai_embedder_retries_then_reports_wrong_answers(fake: FakeLLM) -> None:
    fake.queue(Reply(status=500, body={"error": {"message": "boom"}}), openai_embeddings([[1.0]]))
    with (
        remote(fake.openai_url, batch_size=32) as embedder,
        pytest.raises(ProviderError, match="returned 1 vectors for 2 texts"),
    ):
        embedder.embed(["a", "b"])
    assert len(fake.requests) == 2


def test_project_records_its_model_then_refuses_another(
    store: SQLiteStore, project: Project, local: LocalEmbedder, fake: FakeLLM
) -> None:
    recorded = ensure_project_embedding(store, project, local)
    assert (recorded.embedding_model, recorded.embedding_dim) == ("all-MiniLM-L6-v2", 384)
    assert ensure_project_embedding(store, recorded, local) == recorded
    with remote(fake.openai_url) as other, pytest.raises(EmbeddingMismatchError) as info:
        ensure_project_embedding(store, recorded, other)
    message = str(info.value)
    assert "all-MiniLM-L6-v2 (384 dims)" in message and "text-embed-test (8 dims)" in message
    assert "lore reembed --project demo" in message


def test_reembed_moves_nodes_and_subgoals_to_the_new_model(
    store: SQLiteStore, project: Project, local: LocalEmbedder, fake: FakeLLM
) -> None:
    node_ids = [add_node(store, project.id, "semantic", f"fact {i}", "body") for i in range(300)]
    bare = add_node(store, project.id, "tag", "never embedded")
    with remote(fake.openai_url, batch_size=64) as other:
        ensure_project_embedding(store, project, other)
        store.vectors.put(other.model, node_ids, other.embed([f"fact {i}" for i in range(300)]))
    step = add_step_with_subgoal(store, project.id, "make recall faster")
    seen: list[tuple[int, int]] = []

    result = reembed(
        store, project.id, local, progress=lambda done, total: seen.append((done, total))
    )

    assert (result.nodes, result.subgoals, result.model, result.dim) == (300, 1, local.model, 384)
    assert seen[-1] == (301, 301) and len(seen) == 3
    assert store.projects.get(project.id).embedding_model == local.model
    ids, matrix = store.vectors.all_for_project(project.id)
    assert ids.tolist() == node_ids and matrix.shape == (300, 384)
    assert bare not in store.vectors.get([bare])
    expected = local.embed([embedding_text("fact 7", "body")])[0]
    assert np.allclose(matrix[7], expected, atol=1e-6)
    [text] = store.vectors.subgoal_texts(project.id)
    assert text.id == step and text.title == "make recall faster"
    ensure_project_embedding(store, store.projects.get(project.id), local)
