"""One SQLite file shared by threads and processes: a connection per thread, WAL, and writes
serialised under ``BEGIN IMMEDIATE`` so readers never block and writers never interleave."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from lore.errors import StoreError
from lore.private import private_file

BUSY_TIMEOUT_MS = 10_000
WAL_FILES = ("-wal", "-shm")


class SQLiteDialect:
    def utc_day(self, seconds: str) -> str:
        return f"date({seconds}, 'unixepoch')"

    def json_values(self, column: str) -> str:
        return f"json_each({column})"

    def json_text(self, column: str, path: str) -> str:
        return f"json_extract({column}, '$.{path}')"

    def id_list(self, column: str) -> str:
        return f"group_concat({column})"

    def last_chars(self, value: str) -> str:
        return f"substr({value}, -?)"

    def by_id(self, table: str) -> str:
        return f"{table} NOT INDEXED"


class Database:
    IntegrityError = sqlite3.IntegrityError
    dialect = SQLiteDialect()

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        private_file(path)  # SQLite gives new WAL and shared-memory files the database's mode
        for companion in (path.with_name(path.name + end) for end in WAL_FILES):
            if companion.exists():  # left by an older lore
                private_file(companion)
        db = cls(path)
        db.migrate()
        return db

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (autocommit mode: transactions are explicit)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA temp_store=MEMORY")
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def tuples(self, sql: str, parameters: Sequence[Any] = (), /) -> list[tuple[Any, ...]]:
        """Rows as plain tuples: cheaper than ``sqlite3.Row`` on the hot paths."""
        cursor = self.conn.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, parameters).fetchall()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed on success, rolled back on any error."""
        with self._write_lock:
            conn = self.conn
            if conn.in_transaction:  # nested use joins the outer transaction
                yield conn
                return
            _begin_immediate(conn)
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded, in file-name order; returns their names."""
        with self.write() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL)"
            )
            done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
            applied = []
            for name, sql in _migrations():
                if name in done:
                    continue
                for statement in _statements(sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (name, time.time()),
                )
                applied.append(name)
        return applied

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()


def _begin_immediate(conn: sqlite3.Connection) -> None:
    # busy_timeout covers most contention; this loop covers the rare SQLITE_BUSY on BEGIN itself.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise StoreError(f"database is busy: {exc}") from exc
            time.sleep(0.01)


def _migrations() -> list[tuple[str, str]]:
    folder = resources.files("lore.store.sqlite") / "migrations"
    files = sorted((f.name, f) for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(name, f.read_text()) for name, f in files]


def _statements(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer:
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
