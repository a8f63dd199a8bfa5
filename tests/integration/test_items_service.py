"""The items service (``Lore.items``, ``item``, ``set_item_status``, ``edit_item``,
``supersede_item``, ``delete_items``) on a real SQLite store."""

from __future__ import annotations

import numpy as np
import pytest

from lore import Lore
from lore.domain import Project
from lore.domain.graph import Changeset, Evidence, LinkDraft, NodeDraft
from lore.errors import NotFoundError, ValidationError
from tests.graph_seed import apply_items


def _seed(lore: Lore, project: Project) -> list[int]:
    return apply_items(
        lore,
        project,
        [
            NodeDraft(
                ref="jwt",
                kind="semantic",
                type="decision",
                title="Auth uses JWT",
                body="Sessions are stateless.",
                status="draft",
                schema_key="root/backend/auth",
                tags=["auth"],
                files=["app/auth.py"],
            ),
            NodeDraft(ref="bug", kind="semantic", type="bug", title="Upload times out"),
            NodeDraft(ref="run", kind="procedural", type="convention", title="Run tests with -x"),
        ],
    )


def test_listing_filters_and_pages(lore: Lore, project: Project) -> None:
    jwt, bug, _ = _seed(lore, project)
    assert lore.items(project).total == 3
    assert [n.id for n in lore.items(project, type="bug").items] == [bug]
    assert [n.id for n in lore.items(project, schema_key="root/backend").items] == [jwt]
    assert [n.id for n in lore.items(project, tag="auth").items] == [jwt]
    assert [n.id for n in lore.items(project, file="app/auth.py").items] == [jwt]
    page = lore.items(project, limit=2, offset=2)
    assert (len(page.items), page.total, page.offset) == (1, 3, 2)
    with pytest.raises(ValidationError) as bad:
        lore.items(project, status="sleeping")
    assert bad.value.field == "status"


def test_project_scope_is_a_hard_filter(lore: Lore, project: Project) -> None:
    jwt, bug, _ = _seed(lore, project)
    other = lore.create_project("other")
    assert lore.item(jwt).id == jwt  # no project given: the id alone names the item
    with pytest.raises(NotFoundError, match="in project other"):
        lore.item(jwt, project=other)
    with pytest.raises(NotFoundError):
        lore.set_item_status([bug, jwt], "approved", project=other)
    with pytest.raises(NotFoundError):
        lore.delete_items([jwt], project="other")
    with pytest.raises(NotFoundError):
        lore.edit_item(jwt, project=other, title="Stolen")
    assert {lore.item(i).status for i in (jwt, bug)} == {"draft"}
    assert lore.item(jwt).title == "Auth uses JWT"


def test_a_node_that_is_not_an_item_is_not_found(lore: Lore, project: Project) -> None:
    [episode] = apply_items(lore, project, [NodeDraft(ref="e", kind="episodic", title="Did X")])
    with pytest.raises(NotFoundError, match="no memory item"):
        lore.item(episode)


def test_status_changes_all_or_nothing_and_keep_the_reason(lore: Lore, project: Project) -> None:
    jwt, bug, _ = _seed(lore, project)
    with pytest.raises(NotFoundError):
        lore.set_item_status([jwt, 99999], "approved", project=project)
    assert lore.item(jwt).status == "draft"
    changed = lore.set_item_status([jwt, bug], "deprecated", project=project, reason="gone")
    assert {(n.status, n.data["deprecated_reason"]) for n in changed} == {("deprecated", "gone")}
    assert len(changed) == 2
    with pytest.raises(ValidationError) as bad:
        lore.set_item_status([jwt], "promoted", project=project)
    assert bad.value.field == "status"


def test_edit_validates_each_field_by_name(lore: Lore, project: Project) -> None:
    jwt, _, _ = _seed(lore, project)
    wrong = {
        "title": "",
        "type": "rumour",
        "status": "maybe",
        "schema_key": "Not A Key",
        "confidence": 1.5,
        "importance": "high",
        "tags": "auth",
        "colour": "red",
    }
    for field, value in wrong.items():
        with pytest.raises(ValidationError) as bad:
            lore.edit_item(jwt, **{field: value})
        assert bad.value.field == field
    assert lore.item(jwt).title == "Auth uses JWT"


def test_edit_changes_fields_and_drops_a_stale_vector(lore: Lore, project: Project) -> None:
    jwt, bug, _ = _seed(lore, project)
    lore.store.vectors.put("test-model", [jwt, bug], np.ones((2, 4), dtype=np.float32))
    edited = lore.edit_item(jwt, title="  Auth uses signed JWT ", schema_key="ROOT/Backend")
    assert (edited.title, edited.schema_key, edited.type) == (
        "Auth uses signed JWT",
        "root/backend",
        "decision",
    )
    lore.edit_item(bug, status="approved", confidence=0.9, tags=["upload"])
    assert set(lore.store.vectors.get([jwt, bug])) == {bug}


def test_supersede_writes_a_successor_with_the_evidence(lore: Lore, project: Project) -> None:
    jwt, _, _ = _seed(lore, project)
    old = lore.item(jwt)
    lore.store.graph.update(jwt, data={"drift": {"reason": "auth.py changed"}, "why": "scale"})
    new = lore.supersede_item(jwt, title="Auth uses sessions again", written_by="test")
    assert (new.type, new.schema_key, new.files) == (old.type, old.schema_key, old.files)
    assert new.data["why"] == "scale" and "drift" not in new.data
    assert new.data["written_by"] == "test"
    assert lore.store.graph.evidence(new.id) == lore.store.graph.evidence(jwt)
    assert lore.item(jwt).superseded_by == new.id
    assert jwt not in {n.id for n in lore.items(project).items}
    history = lore.item_detail(new.id).history
    assert [entry.item.id for entry in history if entry.item] == [jwt]


def test_detail_and_delete(lore: Lore, project: Project) -> None:
    jwt, bug, run = _seed(lore, project)
    detail = lore.item_detail(jwt, project=project)
    assert detail.item.id == jwt
    assert detail.history[0].what == "created"
    assert lore.delete_items([jwt, run], project=project) == 2
    with pytest.raises(NotFoundError):
        lore.item(jwt)
    assert [n.id for n in lore.items(project).items] == [bug]


def test_the_neighbourhood_names_how_each_linked_node_stands_to_the_item(
    lore: Lore, project: Project
) -> None:
    session = lore.capture_event("cli", "note", {"text": "JWT everywhere"}, project=project)
    event_id, session_id = session.event_ids[0], session.session_ids[0]
    applied = lore.store.graph.apply(
        project.id,
        Changeset(
            session_id=session_id,
            nodes=[
                NodeDraft(
                    ref="jwt",
                    kind="semantic",
                    title="Auth uses JWT",
                    tags=["auth", "security"],
                    evidence=[Evidence(event_id=event_id, quote="JWT everywhere")],
                ),
                NodeDraft(ref="auth", kind="tag", title="auth"),
                NodeDraft(ref="login", kind="intent", title="log people in"),
                NodeDraft(ref="keys", kind="semantic", title="Keys rotate monthly"),
            ],
            links=[
                LinkDraft(kind="membership", src="auth", dst="jwt"),
                LinkDraft(kind="hierarchical", src="login", dst="jwt"),
                LinkDraft(kind="related", src="jwt", dst="keys", weight=0.5),
            ],
        ),
    ).ids
    jwt = applied["jwt"]
    newer = lore.supersede_item(jwt, title="Auth uses sessions again", written_by="test")

    old = [(n.group, n.title) for n in lore.item_detail(jwt).neighbours]
    assert old == [
        ("tag", "auth"),  # the tag node, not the written tag again
        ("tag", "security"),  # written on the item, no node for it
        ("intent", "log people in"),
        ("related", "Keys rotate monthly"),
        ("superseded_by", "Auth uses sessions again"),
        ("evidence", f"Session {session_id}"),
    ]
    new = [(n.group, n.title) for n in lore.item_detail(newer.id).neighbours]
    assert ("supersedes", "Auth uses JWT") in new
    assert ("evidence", f"Session {session_id}") in new  # the evidence went with it
