"""lore on PostgreSQL end to end: ``database_url = "postgresql://..."`` opens the PostgreSQL
store, and capture, Generate Memory (the real offline pipeline), recall and the item views work
as on SQLite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lore import Lore
from lore.config import load_settings
from lore.recall.models import matched_by
from lore.store.postgres import PostgresStore
from tests.postgres import fresh_database


@pytest.fixture
def pg_lore(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lore]:
    with fresh_database(postgres_url) as url:
        monkeypatch.setenv("LORE_DATABASE_URL", url)
        with Lore.open(settings=load_settings()) as opened:
            yield opened


def test_a_session_becomes_memory_and_is_recalled_on_postgresql(pg_lore: Lore) -> None:
    assert isinstance(pg_lore.store, PostgresStore)
    project = pg_lore.create_project("shop")
    pg_lore.update_project(project, auto_learn=False)
    pg_lore.capture_event(
        "cli",
        "session_save",
        {
            "summary": "Order totals are integer cents.",
            "decisions": ["Store money as integer cents, never floats"],
            "files": ["src/shop/models.py"],
        },
        project=project,
    )
    session = pg_lore.sessions(project)[0]
    assert session.goal == "Order totals are integer cents."
    pg_lore.close(session.id)
    done = pg_lore.jobs.wait(pg_lore.enrich(session.id).id, timeout_s=60)
    assert done.status.value == "completed", done.error
    assert pg_lore.session(session.id).items_extracted > 0

    hits = pg_lore.recall(project, "how is money stored", limit=5)
    assert hits and any("cents" in (hit.title + hit.text).lower() for hit in hits)
    assert {"words", "meaning"} <= {how for hit in hits for how in matched_by(hit)}
    item = next(hit for hit in hits if hit.kind in ("semantic", "procedural"))
    detail = pg_lore.item_detail(item.id)
    assert detail.evidence and detail.evidence[0].event is not None
    assert any(n.group == "evidence" for n in detail.neighbours)
    assert pg_lore.store.overview.item_counts()[project.id] >= 1
