"""The dashboard's read model over SQLite: item counts, schema keys, the review queue, jobs."""

from __future__ import annotations

from lore import Lore
from lore.domain import Project
from lore.domain.graph import Changeset, NodeDraft
from lore.domain.jobs import STAGES, JobStatus
from lore.store.base import ItemFilter


def _apply(lore: Lore, project: Project, *drafts: NodeDraft) -> dict[str, int]:
    session_id = lore.store.sessions.create(project.id, "cli").id
    changeset = Changeset(session_id=session_id, nodes=list(drafts))
    return lore.store.graph.apply(project.id, changeset).ids


def _item(ref: str, **fields: object) -> NodeDraft:
    values: dict[str, object] = {
        "kind": "semantic",
        "type": "decision",
        "title": ref,
        "status": "draft",
    }
    return NodeDraft.model_validate({"ref": ref, **values, **fields})


def test_items_are_counted_per_project_and_schema_key(lore: Lore, project: Project) -> None:
    other = lore.create_project("other")
    ids = _apply(
        lore,
        project,
        _item("auth", schema_key="root/backend/auth", confidence=0.9),
        _item("api", schema_key="root/backend", type="convention", confidence=0.9),
        _item("loose", confidence=0.9),
        NodeDraft(ref="tag", kind="tag", title="backend"),
    )
    _apply(lore, project, _item("newer", schema_key="root/backend", supersedes=ids["api"]))
    _apply(lore, other, _item("elsewhere"))
    overview = lore.store.overview
    assert overview.item_counts() == {project.id: 3, other.id: 1}
    current = ItemFilter(current=True)
    assert overview.schema_keys(project.id, current) == {
        "": 1,
        "root/backend": 1,
        "root/backend/auth": 1,
    }
    decisions = ItemFilter(types=["decision"], current=True)
    assert sum(overview.schema_keys(project.id, decisions).values()) == 3


def test_the_review_queue_holds_drift_first_then_unsure_drafts(
    lore: Lore, project: Project
) -> None:
    ids = _apply(
        lore,
        project,
        _item("drifted", status="review", confidence=0.95),
        _item("unsure", confidence=0.3),
        _item("sure", confidence=0.8),
        _item("unsure but approved", status="approved", confidence=0.2),
        _item("unsure but replaced", confidence=0.2),
    )
    _apply(
        lore, project, _item("replacement", confidence=0.9, supersedes=ids["unsure but replaced"])
    )
    overview = lore.store.overview
    queue = overview.review_items(project.id, below_confidence=0.5)
    assert [node.title for node in queue] == ["drifted", "unsure"]
    assert overview.count_review_items(project.id, below_confidence=0.5) == 2
    assert overview.review_items(project.id, below_confidence=0.5, offset=1)[0].title == "unsure"


def test_job_counts_name_every_status(lore: Lore, project: Project) -> None:
    session = lore.store.sessions.create(project.id, "cli")
    assert lore.store.overview.job_counts() == dict.fromkeys(JobStatus, 0)
    lore.store.jobs.enqueue(
        project.id, session.id, "manual", STAGES, max_attempts=3, run_after=0.0, now=0.0
    )
    counts = lore.store.overview.job_counts(project.id)
    assert counts[JobStatus.QUEUED] == 1 and counts[JobStatus.FAILED] == 0
    assert lore.store.overview.job_counts(project.id + 1)[JobStatus.QUEUED] == 0
