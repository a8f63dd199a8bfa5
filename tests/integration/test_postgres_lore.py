"""lore on PostgreSQL end to end: ``database_url = "postgresql://..."`` opens the PostgreSQL
store, and capture, Generate Memory (the real offline pipeline), recall and the item views work
as on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lore import Lore
from lore.config import load_settings
from lore.recall.models import matched_by
from lore.server import build_app
from lore.store.postgres import PostgresStore
from tests.postgres import fresh_database, postgres_server, start_server, stop_server
from tests.servers import running


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


def test_capture_answers_503_while_the_database_is_down_and_goes_on_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "own-server"
    with postgres_server(data) as server, fresh_database(server) as url:
        monkeypatch.setenv("LORE_DATABASE_URL", url)
        with Lore.open(settings=load_settings()) as lore:
            lore.create_project("shop")
            with (
                running(build_app(lore, token="t")) as site,
                httpx.Client(
                    base_url=site, headers={"Authorization": "Bearer t"}, timeout=30
                ) as api,
            ):
                note = {"source": "api", "type": "note", "project": "shop"}
                first = api.post("/api/v1/events", json=note | {"payload": {"text": "one"}})
                assert first.status_code == 202, first.text
                stop_server(data)
                down = api.post("/api/v1/events", json=note | {"payload": {"text": "two"}})
                assert down.status_code == 503
                assert "database is unavailable" in down.json()["error"]["message"]
                start_server(data)  # restarted on the same data: the pool reconnects
                again = api.post("/api/v1/events", json=note | {"payload": {"text": "two"}})
                assert again.status_code == 202, again.text
                assert lore.store.events.count() == 2  # nothing accepted was lost
