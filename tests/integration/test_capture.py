"""Capture on the real SQLite store: dedup, all-or-nothing batches, sessions, redaction."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lore import ConflictError, Lore, ValidationError
from lore.domain import Project, SessionState
from tests.postgres import stored_bytes


def note(text: str, **extra: object) -> dict[str, object]:
    return {"source": "cli", "type": "note", "payload": {"text": text}, **extra}


def test_the_same_event_twice_is_stored_once(lore: Lore, project: Project) -> None:
    first = lore.capture_events([note("hello")], project=project)
    second = lore.capture_events([note("hello")], project=project)
    assert second.event_ids == first.event_ids
    assert second.duplicates == 1
    assert lore.store.events.count(project.id) == 1


def test_idempotency_key_deduplicates_even_with_other_content(lore: Lore, project: Project) -> None:
    first = lore.capture_events([note("a", idempotency_key="k1")], project=project)
    again = lore.capture_events([note("b", idempotency_key="k1")], project=project)
    assert again.event_ids == first.event_ids
    assert lore.store.events.get(first.event_ids[0]).payload == {"text": "a"}


def test_a_batch_with_one_bad_event_stores_nothing(lore: Lore, project: Project) -> None:
    batch = [note("one"), note("two"), {"source": "cli", "type": "note", "payload": {}}]
    with pytest.raises(ValidationError) as error:
        lore.capture_events(batch, project=project)
    assert error.value.field == "events[2].payload"
    assert lore.store.events.count(project.id) == 0
    assert lore.sessions(project) == []


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"source": "CLI!", "type": "note", "payload": {"a": 1}}, "events[0].source"),
        (
            {"source": "cli", "type": "session_save", "payload": {"files": []}},
            "events[0].payload.summary",
        ),
        ({"source": "cli", "payload": {"a": 1}}, "events[0].type"),
        (
            {"source": "cli", "type": "note", "payload": {"a": 1}, "colour": "red"},
            "events[0].colour",
        ),
    ],
)
def test_bad_events_name_their_field(
    lore: Lore, project: Project, event: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        lore.capture_events([event], project=project)
    assert error.value.field == field


def test_oversized_payload_is_rejected(lore: Lore, project: Project) -> None:
    big = "x" * (lore.settings.capture.max_payload_bytes + 1)
    with pytest.raises(ValidationError, match="larger than"):
        lore.capture_events([note(big)], project=project)


def test_batches_are_capped(lore: Lore, project: Project) -> None:
    with pytest.raises(ValidationError, match="at most 500"):
        lore.capture_events([note(str(i)) for i in range(501)], project=project)


def test_events_join_the_active_session_of_their_source(lore: Lore, project: Project) -> None:
    a = lore.capture_events([note("1")], project=project)
    b = lore.capture_events([note("2")], project=project)
    other = lore.capture_events(
        [{"source": "mcp", "type": "note", "payload": {"t": 1}}], project=project
    )
    assert a.session_ids == b.session_ids
    assert other.session_ids != a.session_ids
    session = lore.session(a.session_ids[0])
    assert session.event_count == 2
    assert session.state is SessionState.COLLECTING


def test_a_closed_session_is_never_reused(lore: Lore, project: Project) -> None:
    first = lore.capture_events([note("1")], project=project).session_ids[0]
    closed = lore.close(first)
    assert closed.status.value == "completed" and closed.closed_at is not None
    second = lore.capture_events([note("2")], project=project).session_ids[0]
    assert second != first
    with pytest.raises(ConflictError):
        lore.capture_events([note("3", session_id=first)], project=project)


def test_a_session_older_than_the_window_is_not_reused(lore: Lore, project: Project) -> None:
    lore.settings.capture.session_window_hours = 1 / 3600  # one second
    first = lore.capture_events([note("1")], project=project).session_ids[0]
    time.sleep(1.1)
    second = lore.capture_events([note("2")], project=project).session_ids[0]
    assert second != first


def test_events_are_immutable(lore: Lore, project: Project) -> None:
    event_id = lore.capture_events([note("1")], project=project).event_ids[0]
    with pytest.raises(lore.store.db.IntegrityError, match="immutable"):  # type: ignore[attr-defined]
        lore.store.events.db.conn.execute(
            "UPDATE events SET payload = '{}' WHERE id = ?", (event_id,)
        )  # type: ignore[attr-defined]


def test_secrets_never_reach_the_database_file(
    lore: Lore, project: Project, lore_home: Path
) -> None:
    secrets = [
        "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789",
        "hunter2hunter2",
        "MIIEpAIBAAKCAQEAsecret",
    ]
    lore.capture_events(
        [
            note(f"token {secrets[0]} and DB_PASSWORD=hunter2hunter2"),
            {
                "source": "git",
                "type": "git_digest",
                "payload": {
                    "commits": [
                        {
                            "sha": "abc",
                            "diff": "diff --git a/.env b/.env\n+API=1\n"
                            "diff --git a/k.txt b/k.txt\n+-----BEGIN PRIVATE KEY-----\n"
                            "+MIIEpAIBAAKCAQEAsecret\n+-----END PRIVATE KEY-----\n",
                        }
                    ]
                },
            },
        ],
        project=project,
    )
    lore.shutdown()
    raw = stored_bytes(lore_home)
    assert raw, "the database is where the test looks"
    for secret in secrets:
        assert secret.encode() not in raw


def test_a_session_says_what_it_is_about_from_its_first_telling_event(
    lore: Lore, project: Project
) -> None:
    def about(source: str) -> str:
        [session] = [s for s in lore.sessions(project) if s.source == source]
        return session.goal

    lore.capture_event("hooks", "tool_call", {"tool": "Bash", "input": "pytest"}, project=project)
    lore.capture_event(
        "hooks", "prompt", {"text": "Why do the invoice totals drift by a cent?\nsee #12"},
        project=project,
    )  # fmt: skip
    lore.capture_event("hooks", "prompt", {"text": "And the tax rounding?"}, project=project)
    assert about("hooks") == "Why do the invoice totals drift by a cent?"  # the first, kept
    lore.capture_event("cli", "session_save", {"summary": "Moved money to cents"}, project=project)
    assert about("cli") == "Moved money to cents"
    commits = [  # as the digest captures them (lore.capture.git)
        {"sha": "b2", "subject": "Store cents", "body": "Floats drifted"},
        {"sha": "a1", "subject": "Start"},
    ]
    lore.capture_event("git", "git_digest", {"commits": commits}, project=project)
    assert about("git") == "Store cents (and 1 more commits)"
    lore.capture_event(
        "scan", "scan_result", {"root": "/repo", "summary": "A shop"}, project=project
    )
    assert about("scan") == ""  # a report says nothing of what a session is for
    sid = lore.start_session("Fix the rounding", project=project.name)
    lore.capture_event("mcp", "note", {"text": "Something else"}, project=project, session_id=sid)
    assert lore.session(sid).goal == "Fix the rounding"  # a goal given is never replaced
