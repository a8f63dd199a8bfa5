"""Fixtures shared by every test: an isolated LORE_HOME and an open ``Lore`` on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from lore import Lore
from lore.config import load_settings
from lore.domain import Project
from lore.store.sqlite import SQLiteStore
from tests.service_helpers import stop_service


@pytest.fixture(autouse=True)
def lore_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own home, and no user config or project file leaks in. A local
    service the test started (a CLI command or a hook queued work) is stopped at the end."""
    home = tmp_path / "lore-home"
    monkeypatch.setenv("LORE_HOME", str(home))
    # Jobs run where the test runs them; tests of the local service turn autostart on.
    monkeypatch.setenv("LORE_SERVICE__AUTOSTART", "0")
    monkeypatch.setenv("LORE_SERVICE__IDLE_S", "30")  # one missed by the stop below goes soon
    for name in (
        "LORE_DATABASE_URL",
        "LORE_PROJECT",
        "LORE_LLM_BASE_URL",
        "LORE_LLM_API_KEY",
        "LORE_LLM_MODEL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield home
    stop_service(home)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A bare SQLite store in the test's folder, for tests below the ``Lore`` facade."""
    opened = SQLiteStore.open(tmp_path / "lore.db")
    yield opened
    opened.close()


@pytest.fixture
def lore(
    lore_home: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Lore]:
    """An open ``Lore`` on the test's home: on its SQLite file, or, when the run sets
    ``LORE_TEST_BACKEND=postgres``, on a new database of the run's PostgreSQL server."""
    with ExitStack() as stack:
        if os.environ.get("LORE_TEST_BACKEND") == "postgres":
            from tests.postgres import fresh_database

            url = stack.enter_context(fresh_database(request.getfixturevalue("postgres_url")))
            monkeypatch.setenv("LORE_DATABASE_URL", url)
        yield stack.enter_context(Lore.open(settings=load_settings()))


@pytest.fixture
def project(lore: Lore) -> Project:
    return lore.create_project("demo")


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The ``postgres`` database of one real PostgreSQL server for the whole run."""
    from tests.postgres import postgres_server

    with postgres_server(tmp_path_factory.mktemp("postgres") / "data") as url:
        yield url
