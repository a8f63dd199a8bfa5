"""``lore migrate --to``: an embedded store moved onto PostgreSQL, all or nothing, then used."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lore import Lore
from lore.config import load_settings
from lore.errors import ConflictError, StoreError
from lore.store import move
from lore.store.sqlite import SQLiteStore
from tests.postgres import fresh_database


@pytest.fixture
def target(postgres_url: str) -> Iterator[str]:
    with fresh_database(postgres_url) as url:
        yield url


@pytest.fixture
def embedded(lore_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lore]:
    """A SQLite lore with memory made by the real pipeline, whatever backend the run tests."""
    monkeypatch.delenv("LORE_DATABASE_URL", raising=False)
    with Lore.open(settings=load_settings()) as lore:
        project = lore.create_project("shop")
        lore.update_project(project, auto_learn=False)
        lore.capture_event(
            "cli",
            "session_save",
            {"summary": "Money is integer cents.", "decisions": ["Store money as cents"]},
            project=project,
        )
        session = lore.sessions(project)[0]
        lore.close(session.id)
        assert lore.jobs.wait(lore.enrich(session.id).id, timeout_s=60).status.value == "completed"
        yield lore


def migrate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lore", "migrate", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_store_moves_whole_and_lore_goes_on_there(
    embedded: Lore, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = {
        table: embedded.store.db.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[attr-defined]
        for table, _ in move.TABLES
    }
    embedded.shutdown()
    moved = migrate("--to", target, "--json")
    assert moved.returncode == 0, moved.stderr
    copied = {row["table"]: row["rows"] for row in json.loads(moved.stdout)}
    assert copied == counts and counts["nodes"] > 0 and counts["embeddings"] > 0

    again = migrate("--to", target)
    assert again.returncode == 1 and "not empty" in again.stderr

    monkeypatch.setenv("LORE_DATABASE_URL", target)
    with Lore.open(settings=load_settings()) as lore:
        hits = lore.recall("shop", "how is money stored", limit=3)
        assert hits and "cents" in (hits[0].title + hits[0].text).lower()
        newer = lore.capture_event("cli", "note", {"text": "after the move"}, project="shop")
        assert newer.event_ids[0] > max(e.id for e in lore.store.events.for_session(1))


def test_a_failed_move_leaves_the_target_empty(
    embedded: Lore, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    digests = iter(["a", "b"] * 100)  # the first table's two sides disagree
    monkeypatch.setattr(move, "_digest", lambda rows: next(digests))
    source = embedded.store
    assert isinstance(source, SQLiteStore)
    with pytest.raises(StoreError, match="projects"):
        move.move_to_postgres(source, target)
    monkeypatch.undo()
    assert move.move_to_postgres(source, target)  # nothing of it stayed: now it goes through
    with pytest.raises(ConflictError):
        move.move_to_postgres(source, target)


def test_the_command_names_what_it_needs(embedded: Lore) -> None:
    refused = migrate("--to", "mysql://db/lore")
    assert refused.returncode == 2 and "postgresql://" in refused.stderr
