"""Raw-event recall as a user gets it: events captured, Generate Memory run by the real pipeline
(offline), and recall finding the conversation through the windows the Embed stage built."""

from __future__ import annotations

from pathlib import Path

import pytest

from lore import Lore
from lore.domain import Project
from lore.domain.jobs import JobStatus
from tests.pipeline_helpers import enrich_now

TURNS = [
    ("maya", "the nightly export to the warehouse keeps timing out after ten minutes"),
    ("omar", "it is the orders table, the query scans it without the created_at index"),
    ("maya", "ok, adding the index and raising the statement timeout to thirty minutes"),
    ("omar", "good, and let us move the export to 3am when nothing else runs"),
]


@pytest.fixture(autouse=True)
def jobs_run_in_the_test(monkeypatch: pytest.MonkeyPatch, lore_home: Path) -> None:
    monkeypatch.setenv("LORE_PIPELINE__IN_PROCESS_WORKER", "false")


def captured(lore: Lore, project: Project) -> tuple[int, list[int]]:
    session = lore.store.sessions.create(project.id, "chat")
    result = lore.capture_events(
        [
            {"source": "chat", "type": "message", "session_id": session.id,
             "payload": {"speaker": speaker, "text": text}}
            for speaker, text in TURNS
        ],
        project=project,
    )  # fmt: skip
    lore.close(session.id)
    return session.id, result.event_ids


def test_generate_memory_makes_the_conversation_recallable(lore: Lore, project: Project) -> None:
    session_id, events = captured(lore, project)
    assert lore.recall(project, "why did the warehouse export time out?") == []
    job = enrich_now(lore, session_id)
    assert job.status is JobStatus.COMPLETED
    assert "4 event windows" in (job.stage("embed").note or "")
    hits = lore.recall(project, "why did the warehouse export time out?", limit=3)
    assert hits and hits[0].kind == "source"
    assert set(hits[0].event_ids) <= set(events)
    assert events[1] in {event for hit in hits for event in hit.event_ids}


def test_windows_can_be_turned_off(lore_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LORE_PIPELINE__EVENT_WINDOWS", "false")
    with Lore.open() as lore:
        project = lore.create_project("quiet")
        session_id, _ = captured(lore, project)
        enrich_now(lore, session_id)
        assert lore.recall(project, "warehouse export timeout", include_events=True) == []


def test_the_worker_builds_the_vector_index_of_a_project_past_the_threshold(
    lore_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LORE_RECALL__ANN_MIN_VECTORS", "3")  # four windows are past it
    with Lore.open() as lore:
        project = lore.create_project("big")
        session_id, events = captured(lore, project)
        enrich_now(lore, session_id)
        [saved] = (lore_home / "vectors").glob(f"project-{project.id}-*.usearch")
        hits = lore.recall(project, "why did the warehouse export time out?", limit=3)
        assert events[1] in {event for hit in hits for event in hit.event_ids}
        assert list((lore_home / "vectors").glob("*.usearch")) == [saved]  # loaded, not rebuilt
