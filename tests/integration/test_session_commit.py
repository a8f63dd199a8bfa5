"""Commit: changesets applied atomically, tags deduplicated by normalised label, intents merged
with stored ones by raw cosine (above 0.8 merged, an LLM rewriting the description; above 0.95
the same), vectors stored under the project's model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lore import Lore
from lore.domain import Project
from lore.domain.graph import Changeset, LinkDraft, NodeDraft
from lore.errors import ValidationError
from lore.sessions.commit import prepare
from lore.sessions.config import session_config
from lore.store.base import ItemFilter
from tests.session_helpers import FakeModels, fake_model_server

TAGS = ItemFilter(kinds=("tag",))
INTENTS = ItemFilter(kinds=("intent",))


def at(similarity: float) -> list[float]:
    """A unit vector whose raw cosine with (1, 0, 0) is ``similarity``."""
    return [similarity, math.sqrt(1 - similarity**2), 0.0]


def fact(session_id: int, ref: str, text: str, tag: str) -> Changeset:
    return Changeset(
        session_id=session_id,
        nodes=[
            NodeDraft(ref=ref, kind="semantic", title=text, body=text, confidence=0.7),
            NodeDraft(ref=f"tag:{tag}", kind="tag", title=tag),
        ],
        links=[LinkDraft(kind="membership", src=f"tag:{tag}", dst=ref)],
    )


def procedure(session_id: int, n: int, intent: str) -> Changeset:
    return Changeset(
        session_id=session_id,
        nodes=[
            NodeDraft(ref=f"p{n}", kind="procedural", title=f"Step {n}", body=f"Do {n}"),
            NodeDraft(ref=f"i{n}", kind="intent", title=intent),
        ],
        links=[LinkDraft(kind="hierarchical", src=f"i{n}", dst=f"p{n}")],
    )


def test_tags_are_deduplicated_by_normalised_label(lore: Lore, project: Project) -> None:
    sid = lore.start_session("g", project="demo")
    first = lore.store.graph.apply(
        project.id, fact(sid, "a", "Redis holds sessions", "Redis Cache")
    )
    second = lore.store.graph.apply(
        project.id, fact(sid, "b", "Keys expire after 1 h", "redis_cache")
    )
    assert first.ids["tag:Redis Cache"] == second.ids["tag:redis_cache"]
    assert "tag:redis_cache" in second.merged
    assert lore.store.graph.count_items(project.id, TAGS) == 1
    tag = lore.store.graph.find_tag(project.id, "REDIS-cache")
    assert tag is not None and tag.title == "Redis Cache"
    members = lore.store.graph.links(tag.id, kinds=["membership"])
    assert sorted(link.dst for link in members) == sorted([first.ids["a"], second.ids["b"]])


def test_apply_is_atomic(lore: Lore, project: Project) -> None:
    sid = lore.start_session("g", project="demo")
    broken = fact(sid, "a", "A fact", "topic")
    broken.links.append(LinkDraft(kind="related", src="a", dst="nowhere"))
    with pytest.raises(ValidationError):
        lore.store.graph.apply(project.id, broken)
    assert lore.store.graph.count_items(project.id, ItemFilter(kinds=("semantic", "tag"))) == 0


def commit_intent(lore: Lore, fake: FakeModels, sid: int, n: int, intent: str) -> dict[str, int]:
    session = lore.session(sid)
    project = lore.project("demo")
    providers = lore.engine.providers
    prepared = prepare(
        procedure(sid, n, intent),
        {},
        None,
        store=lore.store,
        project_id=project.id,
        embedder=providers.embedder(session),
        llm=providers.llm(project, session),
        config=session_config(lore.settings, project, session),
    )
    applied = lore.store.graph.apply(
        project.id,
        prepared.changeset,
        vectors=prepared.vectors,
        embedding_model=prepared.embedding_model,
    )
    return applied.ids


@pytest.mark.parametrize(
    ("similarity", "with_llm", "merged", "title"),
    [
        (0.97, True, True, "Fix flaky tests"),  # identical: the stored description stays
        (0.90, True, True, "Fix and stabilise flaky tests"),  # merged, rewritten by the LLM
        (0.90, False, True, "Fix flaky tests"),  # merged, no LLM to rewrite
        (0.79, True, False, "Fix flaky tests"),  # a different intent
        (-0.95, True, False, "Fix flaky tests"),  # raw cosine: opposite is not similar
    ],
)
def test_intents_merge_by_raw_cosine(
    lore: Lore, project: Project, similarity: float, with_llm: bool, merged: bool, title: str
) -> None:
    with fake_model_server() as fake:
        fake.vectors = {
            "Fix flaky tests": at(1.0),
            "Stabilise the test suite": at(similarity),
            "Fix and stabilise flaky tests": at(0.95),
        }
        fake.answers["MergedIntent"] = {"description": "Fix and stabilise flaky tests"}
        llm = fake.llm() if with_llm else None
        sid = lore.start_session("g", project="demo", llm=llm, embedding=fake.embedding())
        first = commit_intent(lore, fake, sid, 1, "Fix flaky tests")
        second = commit_intent(lore, fake, sid, 2, "Stabilise the test suite")
        intents = lore.store.graph.items(project.id, INTENTS)
        assert (second["i2"] == first["i1"]) is merged
        assert len(intents) == (1 if merged else 2)
        stored = lore.store.graph.get(first["i1"])
        assert stored.title == title
        rewrites = fake.calls("MergedIntent")
        assert rewrites == (1 if merged and with_llm and similarity <= 0.95 else 0)
        procedures = lore.store.graph.links(first["i1"], kinds=["hierarchical"])
        assert len(procedures) == (2 if merged else 1)
        if rewrites:  # the merged description got its own vector
            vector = lore.store.vectors.get([first["i1"]])[first["i1"]]
            assert np.allclose(vector, np.asarray(at(0.95), dtype=np.float32), atol=1e-5)


def test_two_new_intents_alike_become_one(lore: Lore, project: Project) -> None:
    with fake_model_server() as fake:
        fake.vectors = {"Speed up CI": at(1.0), "Make CI faster": at(0.92)}
        sid = lore.start_session("g", project="demo", embedding=fake.embedding())
        both = procedure(sid, 1, "Speed up CI")
        other = procedure(sid, 2, "Make CI faster")
        both.nodes += other.nodes
        both.links += other.links
        session = lore.session(sid)
        providers = lore.engine.providers
        prepared = prepare(
            both,
            {},
            None,
            store=lore.store,
            project_id=project.id,
            embedder=providers.embedder(session),
            llm=None,
            config=session_config(lore.settings, project, session),
        )
        lore.store.graph.apply(
            project.id,
            prepared.changeset,
            vectors=prepared.vectors,
            embedding_model=prepared.embedding_model,
        )
        intents = lore.store.graph.items(project.id, INTENTS)
        assert [i.title for i in intents] == ["Speed up CI"]
        assert len(lore.store.graph.links(intents[0].id, kinds=["hierarchical"])) == 2


def test_a_commit_stores_vectors_under_the_project_model(lore: Lore, project: Project) -> None:
    lore.update_project("demo", auto_commit=False)
    sid = lore.start_session("Tune the database", project="demo")
    lore.append(
        sid,
        "Queries on orders are slow because of a missing index",
        "Added an index on orders.user_id",
    )
    lore.close_and_commit(sid)
    project = lore.project("demo")
    assert project.embedding_model == lore.engine.providers.embedder(lore.session(sid)).model
    ids, matrix = lore.store.vectors.all_for_project(project.id, ["semantic", "episodic"])
    assert len(ids) >= 2 and matrix.shape[1] == project.embedding_dim
