"""Episode windows as text: who said what, and which events each window holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lore.domain import Event
from lore.recall.index import build_windows, event_line

DAY = datetime(2023, 5, 8, 13, 56).timestamp()


def event(event_id: int, payload: dict[str, Any], source: str = "chat") -> Event:
    return Event(
        id=event_id, project_id=1, session_id=1, episode_id=None, source=source, type="message",
        payload=payload, content_hash=str(event_id), idempotency_key=None, created_at=DAY + 999,
        occurred_at=DAY + event_id, enriched_job_id=None,
    )  # fmt: skip


def test_a_chat_turn_is_its_speaker_and_words() -> None:
    line = event_line(event(1, {"speaker": "Caroline", "text": "I went to a support group."}), 100)
    assert line == ("Caroline", "I went to a support group.")


def test_other_events_show_their_source_and_payload_as_lines() -> None:
    commit = event(2, {"sha": "abc123", "message": "Fix retry\n\nin the worker"}, source="git")
    assert event_line(commit, 100) == ("git", "Fix retry in the worker")
    scan = event(3, {"root": "/repo", "files": 12}, source="scan")
    assert event_line(scan, 100) == ("scan", "root: /repo; files: 12")


def test_a_tool_call_reads_as_what_was_run_and_what_came_back() -> None:
    edit = {"tool": "Edit", "input": "app/cache.py", "result": "edited", "files": ["app/cache.py"]}
    assert event_line(event(1, edit, source="claude-code"), 200) == (
        "claude-code",
        "Edit app/cache.py: edited",
    )
    run = {"tool": "Bash", "input": "pytest", "command": "uv run pytest -q", "error": True,
           "result": "2 failed"}  # fmt: skip
    assert event_line(event(2, run), 200)[1] == "Bash uv run pytest -q failed: 2 failed"


def test_a_commit_reads_as_its_message_and_files_without_the_diff() -> None:
    commit = {"sha": "0123456789abcdef", "author": "Ada", "subject": "Retry on 503",
              "body": "The gateway drops requests under load.", "diff": "+retry()\n" * 50,
              "files": [{"path": "app/http.py", "insertions": 4, "deletions": 1}]}  # fmt: skip
    _, text = event_line(event(1, {"commits": [commit], "repo": "/r"}, source="git"), 500)
    assert text == (
        "commit 0123456789 Retry on 503 (by Ada). The gateway drops requests under load."
        " files: app/http.py"
    )


def test_a_scan_reads_as_its_languages_frameworks_manifests_and_readme() -> None:
    scan = {
        "root": "/r/shop", "name": "shop", "files": 12,
        "languages": {"Python": {"files": 10, "lines": 1200}, "TOML": {"files": 1, "lines": 9}},
        "frameworks": [{"name": "FastAPI", "category": "web", "manifest": "pyproject.toml"}],
        "manifests": [{"path": "pyproject.toml", "kind": "python"}],
        "readme": {"path": "README.md", "summary": "A small shop API."},
    }  # fmt: skip
    scanned = Event(
        id=1, project_id=1, session_id=1, episode_id=None, source="scan", type="scan_result",
        payload=scan, content_hash="1", idempotency_key=None, created_at=DAY, occurred_at=DAY,
        enriched_job_id=None,
    )  # fmt: skip
    assert event_line(scanned, 500) == (
        "scan",
        "scan of shop: Python (1,200 lines in 10 files), TOML; frameworks FastAPI;"
        " manifests pyproject.toml; README: A small shop API.",
    )


def test_long_text_is_cut() -> None:
    speaker, text = event_line(event(1, {"role": "user", "content": "word " * 100}), 30)
    assert speaker == "user"
    assert len(text) == 30
    assert text.endswith("…")


def test_windows_hold_each_event_and_its_neighbours_in_the_session() -> None:
    events = [event(i, {"speaker": s, "text": t}) for i, (s, t) in enumerate(
        [("Mel", "How was it?"), ("Caroline", "Great!"), ("Mel", "Nice."), ("Caroline", "Bye")],
        start=10,
    )]  # fmt: skip
    windows = build_windows(events, [0, 1, 3], radius=1, max_chars=100)
    assert [w.event_ids for w in windows] == [(10, 11), (10, 11, 12), (12, 13)]
    assert windows[1].centre_event_id == 11
    assert windows[1].text == "(8 May 2023) Mel: How was it? Caroline: Great! Mel: Nice."
    assert windows[1].happened_at == DAY + 11
