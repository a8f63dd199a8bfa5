"""The graph store: item queries and their filters, updates, status, access and reward, links,
supersede and merge, evidence; and extraction with a model end to end."""

from __future__ import annotations

import pytest

from lore import Lore
from lore.domain import Project
from lore.domain.graph import Changeset, Evidence, LinkDraft, NodeDraft
from lore.errors import ValidationError
from lore.store.base import ItemFilter
from tests.session_helpers import fake_model_server


def item(ref: str, **fields: object) -> NodeDraft:
    values: dict[str, object] = {"kind": "semantic", "title": ref, "body": f"{ref} body"}
    values.update(fields)
    return NodeDraft(ref=ref, **values)  # type: ignore[arg-type]


@pytest.fixture
def ids(lore: Lore, project: Project) -> dict[str, int]:
    sid = lore.start_session("g", project="demo")
    changeset = Changeset(
        session_id=sid,
        nodes=[
            item(
                "auth",
                type="architecture",
                schema_key="root/backend/auth",
                tags=["jwt"],
                files=["api/auth.py"],
            ),
            item(
                "authz",
                type="convention",
                schema_key="root/backend/authz",
                tags=["rbac"],
                status="approved",
            ),
            item(
                "front",
                kind="procedural",
                type="implementation",
                schema_key="root/frontend",
                files=["ui/app.tsx"],
            ),
            item("step", kind="episodic"),
        ],
        links=[LinkDraft(kind="related", src="auth", dst="authz", weight=0.5)],
    )
    return lore.store.graph.apply(project.id, changeset).ids


def titles(lore: Lore, project: Project, **where: object) -> list[str]:
    found = lore.store.graph.items(project.id, ItemFilter(**where))  # type: ignore[arg-type]
    return sorted(node.title for node in found)


def test_item_filters(lore: Lore, project: Project, ids: dict[str, int]) -> None:
    assert titles(lore, project) == ["auth", "authz", "front"]  # items only by default
    assert titles(lore, project, kinds=("episodic",)) == ["step"]
    assert titles(lore, project, types=["convention", "implementation"]) == ["authz", "front"]
    assert titles(lore, project, statuses=["approved"]) == ["authz"]
    assert titles(lore, project, statuses=["draft"]) == ["auth", "front"]  # new items are drafts
    assert titles(lore, project, schema_key_prefix="root/backend") == ["auth", "authz"]
    assert titles(lore, project, schema_key_prefix="root/backend/auth") == ["auth"]  # not authz
    assert titles(lore, project, tags=["rbac", "jwt"]) == ["auth", "authz"]
    assert titles(lore, project, files=["ui/app.tsx"]) == ["front"]
    assert lore.store.graph.count_items(project.id, ItemFilter(types=["architecture"])) == 1


def test_update_status_access_reward_and_delete(
    lore: Lore, project: Project, ids: dict[str, int]
) -> None:
    graph = lore.store.graph
    node = graph.update(ids["auth"], title="Auth uses JWT", tags=["jwt", "auth"], confidence=0.9)
    assert (node.title, node.tags, node.confidence) == ("Auth uses JWT", ["jwt", "auth"], 0.9)
    with pytest.raises(ValidationError):
        graph.update(ids["auth"], access_count=5)
    assert graph.set_status([ids["auth"], ids["front"]], "review") == 2
    graph.record_access([ids["auth"]])
    graph.record_access([ids["auth"]])
    graph.record_reward([ids["auth"]], 0.5)
    node = graph.get(ids["auth"])
    assert (node.status, node.access_count, node.reward_sum, node.reward_count) == (
        "review",
        2,
        0.5,
        1,
    )
    assert [link.kind for link in graph.links(ids["authz"])] == ["related"]
    assert graph.delete([ids["auth"]]) == 1
    assert graph.links(ids["authz"]) == []
    assert [n.id for n in graph.get_many([ids["auth"], ids["authz"]])] == [ids["authz"]]


def test_supersede_merge_and_evidence(lore: Lore, project: Project, ids: dict[str, int]) -> None:
    sid = lore.start_session("g", project="demo")
    event_id = lore.append(sid, "Auth moved to sessions", "Dropped JWT").event_id
    assert event_id is not None
    changeset = Changeset(
        session_id=sid,
        nodes=[
            item(
                "new-auth",
                supersedes=ids["auth"],
                evidence=[Evidence(event_id=event_id, quote="moved")],
            ),
            item("again", merge_into=ids["authz"], confidence=0.5, files=["api/roles.py"]),
        ],
    )
    applied = lore.store.graph.apply(project.id, changeset)
    old = lore.store.graph.get(ids["auth"])
    assert old.superseded_by == applied.ids["new-auth"] and old.valid_to is not None
    assert titles(lore, project, current=True) == ["authz", "front", "new-auth"]
    merged = lore.store.graph.get(ids["authz"])
    assert applied.merged == {"again": ids["authz"]}
    assert merged.last_reinforced_at is not None and "api/roles.py" in merged.files
    assert lore.store.graph.evidence(applied.ids["new-auth"]) == [
        Evidence(event_id=event_id, quote="moved")
    ]
    other = lore.create_project("other")
    with pytest.raises(ValidationError):  # a merge target must be in the project
        lore.store.graph.apply(
            other.id, Changeset(session_id=sid, nodes=[item("x", merge_into=ids["front"])])
        )


def test_extraction_with_a_model(lore: Lore, project: Project) -> None:
    lore.update_project("demo", auto_commit=False)
    with fake_model_server() as fake:
        fake.answers["StepAnnotation"] = {"state_summary": "s", "subgoal": "Speed up the importer"}
        fake.answers["SemanticExtraction"] = {
            "facts": [
                {
                    "proposition": "The importer inserts rows one by one",
                    "concepts": ["importer", "SQLite"],
                    "confidence": 0.8,
                    "type": "bug",
                },
                {
                    "proposition": "executemany batches inserts",
                    "concepts": ["sqlite"],
                    "confidence": 0.9,
                },
            ]
        }
        fake.answers["ProceduralExtraction"] = {
            "procedures": [
                {
                    "instruction": "Batch inserts with executemany",
                    "condition": "bulk loads",
                    "expected_outcome": "10x faster",
                    "intent": "Speed up imports",
                }
            ]
        }
        fake.answers["ReturnScores"] = {"scores": [0.85]}
        fake.answers["RewardScore"] = {"reward": 0.9}
        sid = lore.start_session("Import faster", project="demo", llm=fake.llm())
        lore.append(sid, "Import of 10k rows takes 40 s", "Profiled the importer")
        lore.append(sid, "It now takes 2 s", "Switched to executemany")
        lore.close_and_commit(sid)
        assert fake.calls("SemanticExtraction") == 1 and fake.calls("ProceduralExtraction") == 1
    graph = lore.store.graph
    facts = graph.items(project.id, ItemFilter(kinds=("semantic",)))
    assert sorted(f.body for f in facts) == [
        "The importer inserts rows one by one",
        "executemany batches inserts",
    ]
    assert {f.type for f in facts} == {"bug", "implementation"}
    procedure = graph.items(project.id, ItemFilter(kinds=("procedural",)))[0]
    assert procedure.data["return"] == 0.85 and procedure.data["intent"] == "Speed up imports"
    tags = sorted(n.title for n in graph.items(project.id, ItemFilter(kinds=("tag",))))
    assert tags == ["SQLite", "importer"]  # "sqlite" is the same tag as "SQLite"
    sqlite = graph.find_tag(project.id, "sqlite")
    assert sqlite is not None and len(graph.links(sqlite.id, kinds=["membership"])) == 2
    last = lore.session_steps(sid)[-1]
    assert (last.reward, last.reward_fallback) == (0.9, False)  # the last step, scored at close


def test_a_reward_the_model_fails_to_score_falls_back_and_the_session_goes_on(
    lore: Lore, project: Project
) -> None:
    with fake_model_server() as fake:
        fake.answers["SemanticExtraction"] = {
            "facts": [{"proposition": "The importer batches inserts", "confidence": 0.9}]
        }
        fake.failures["RewardScore"] = 1  # the one call that scores the last step, at close
        sid = lore.start_session("Import faster", project="demo", llm=fake.llm())
        lore.append(sid, "Import of 10k rows takes 40 s", "Switched to executemany")
        lore.close_and_commit(sid)
        assert fake.failures["RewardScore"] == 0  # the model was asked and failed
    [last] = lore.session_steps(sid)
    assert (last.reward, last.reward_fallback) == (0.5, True)
    facts = lore.store.graph.items(project.id, ItemFilter(kinds=("semantic",)))
    assert [fact.body for fact in facts] == ["The importer batches inserts"]
