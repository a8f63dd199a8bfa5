"""One PostgreSQL database shared by processes on any number of machines, through a pool of
psycopg connections. It offers the shared repositories (``lore.store.sql``) what the SQLite
``Database`` does: ``?`` placeholders, rows read by column name or position, and ``write()``
for one transaction that nested use joins, on one connection the thread holds until it ends.
Outside a transaction each statement borrows a connection for itself (autocommit).

Writers are serialised by a transaction-level advisory lock, as SQLite's ``BEGIN IMMEDIATE``
serialises them: the shared repositories read and then write in one transaction (the session an
event joins, a job to claim) and rely on no other writer coming between.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import Any

import psycopg
from psycopg.rows import RowMaker
from psycopg_pool import ConnectionPool, PoolTimeout

from lore.config import shown_database
from lore.errors import StoreError

# Keys of PostgreSQL advisory locks lore takes (any two distinct numbers would do).
WRITE_LOCK = 0x6C6F7265  # "lore"
MIGRATE_LOCK = WRITE_LOCK + 1
POOL_MAX = 10
CONNECT_TIMEOUT_S = 10.0
# How long a statement waits for a connection (all in use, or the server down) before it
# fails with StoreError: a request then answers 503 in seconds rather than hanging.
CHECKOUT_WAIT_S = 5.0


class Row(tuple[Any, ...]):
    """A row as ``sqlite3.Row`` reads: by position, or by column name."""

    names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


def _rows(cursor: psycopg.Cursor[Any]) -> RowMaker[Row]:
    names = {column.name: index for index, column in enumerate(cursor.description or ())}

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row.names = names
        return row

    return make


class Result:
    """What a statement returned, read whole (its connection has gone back to the pool)."""

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Row]:
        return self._rows

    def __iter__(self) -> Iterator[Row]:
        return iter(self._rows)


class Statements:
    """Runs statements on the thread's transaction when it has one, else on a borrowed
    connection."""

    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Result:
        with (
            unavailable_as_store_error(),
            self.db.connection() as conn,
            conn.cursor(row_factory=_rows) as cursor,
        ):
            cursor.execute(placeholders(sql), tuple(parameters))
            rows = cursor.fetchall() if cursor.description else []
            return Result(rows, cursor.rowcount)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Result:
        with unavailable_as_store_error(), self.db.connection() as conn, conn.cursor() as cursor:
            cursor.executemany(placeholders(sql), [tuple(p) for p in parameters])
            return Result([], cursor.rowcount)


@contextmanager
def unavailable_as_store_error() -> Iterator[None]:
    """A database that is down, restarting or out of connections is lore's StoreError (the
    REST API answers 503); constraint violations stay IntegrityError for the repositories."""
    try:
        yield
    except (psycopg.OperationalError, PoolTimeout) as exc:
        raise StoreError(f"the database is unavailable: {exc}") from exc


class PostgresDialect:
    def utc_day(self, seconds: str) -> str:
        return f"to_char(to_timestamp({seconds}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"

    def json_values(self, column: str) -> str:
        return f"jsonb_array_elements_text({column}::jsonb) AS elements(value)"

    def json_text(self, column: str, path: str) -> str:
        return f"({column}::jsonb #>> '{{{path.replace('.', ',')}}}')"

    def id_list(self, column: str) -> str:
        return f"string_agg({column}::text, ',')"

    def last_chars(self, value: str) -> str:
        return f"right({value}, ?)"

    def by_id(self, table: str) -> str:
        return table


class PostgresDatabase:
    IntegrityError = psycopg.IntegrityError
    dialect = PostgresDialect()

    def __init__(self, url: str, pool: ConnectionPool) -> None:
        self.url = url
        self.pool = pool
        self._local = threading.local()
        self._statements = Statements(self)

    @classmethod
    def open(cls, url: str) -> PostgresDatabase:
        pool = ConnectionPool(
            url,
            min_size=1,
            max_size=POOL_MAX,
            kwargs={"autocommit": True},
            # A connection the server dropped (a restart) is replaced before it is handed out.
            check=ConnectionPool.check_connection,
            timeout=CHECKOUT_WAIT_S,
            open=False,
        )
        try:
            pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:
            pool.close()
            raise StoreError(f"cannot reach the database {shown_database(url)}: {exc}") from exc
        db = cls(url, pool)
        db.migrate()
        return db

    @property
    def conn(self) -> Statements:
        return self._statements

    def tuples(self, sql: str, parameters: Sequence[Any] = (), /) -> list[tuple[Any, ...]]:
        return list(self._statements.execute(sql, parameters).fetchall())

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """The thread's transaction connection, else one borrowed from the pool."""
        held: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        with self.pool.connection() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Statements]:
        """A write transaction: committed on success, rolled back on any error."""
        if getattr(self._local, "conn", None) is not None:  # nested use joins the outer one
            yield self._statements
            return
        with (
            unavailable_as_store_error(),
            self.pool.connection() as conn,
            conn.transaction(),
        ):
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            self._local.conn = conn
            try:
                yield self._statements
            finally:
                self._local.conn = None

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded, in file-name order, under a lock so that
        processes starting together apply each once; returns their names."""
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION)"
            )
            done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
            applied = []
            for name, sql in _migrations():
                if name in done:
                    continue
                conn.execute(sql.encode())  # several statements: simple query protocol
                conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (%s, %s)",
                    (name, time.time()),
                )
                applied.append(name)
        return applied

    def close(self) -> None:
        self.pool.close()


_QUOTED_OR_MARK = re.compile(r"'(?:[^']|'')*'|\bNOT\s+IN\s*\(\s*\)|\bIN\s*\(\s*\)|\?|%", re.I)


def placeholders(sql: str) -> str:
    """The shared SQL as psycopg reads it: ``?`` placeholders as ``%s`` (a literal ``%``
    doubled), and an empty ``IN ()`` list, which SQLite accepts and PostgreSQL refuses, as a
    comparison with an empty array (false; ``NOT IN ()`` true). Text inside quotes is left
    alone."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if token[0] == "'":
            return token.replace("%", "%%")
        return "<> ALL('{}')" if token.upper().startswith("NOT") else "= ANY('{}')"

    return _QUOTED_OR_MARK.sub(swap, sql)


def _migrations() -> list[tuple[str, str]]:
    folder = resources.files("lore.store.postgres") / "migrations"
    files = sorted((f.name, f) for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(name, f.read_text()) for name, f in files]
