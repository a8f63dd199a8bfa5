"""Moving an embedded store onto a team's PostgreSQL (``lore migrate --to``): every table copied
in one transaction with its ids, then each table's row count and a digest of its rows compared
before the transaction commits. A target that holds anything is refused; a failure or a
mismatch rolls everything back, so the target is never left half-copied."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lore.errors import ConflictError, StoreError
from lore.store.postgres import PostgresStore
from lore.store.sql import Connection, Database
from lore.store.sqlite import SQLiteStore

# In the order their foreign keys need, each with the columns it is ordered and compared by.
# The vector change log and recall versions are not copied: the target's triggers write them
# as the embeddings arrive.
TABLES: tuple[tuple[str, str], ...] = (
    ("projects", "id"),
    ("project_state", "project_id, key"),
    ("sessions", "id"),
    ("episodes", "id"),
    ("events", "id"),
    ("steps", "id"),
    ("session_extractions", "id"),
    ("session_ops", "id"),
    ("changesets", "id"),
    ("llm_calls", "id"),
    ("jobs", "id"),
    ("job_stages", "job_id, name"),
    ("nodes", "id"),
    ("links", "id"),
    ("node_events", "node_id, event_id"),
    ("embeddings", "node_id"),
    ("event_vectors", "event_id"),
)
# Tables with an identity column whose next value must follow the copied ids.
IDENTITIES = ("projects", "sessions", "episodes", "events", "steps", "session_extractions",
              "session_ops", "changesets", "llm_calls", "jobs", "nodes", "links")  # fmt: skip


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int
    digest: str


def move_to_postgres(source: SQLiteStore, url: str) -> list[TableCopy]:
    """Copy ``source`` into the empty PostgreSQL database at ``url``; what was copied, table by
    table, with the digest both sides agree on."""
    target = PostgresStore.open(url)
    try:
        if target.db.tuples("SELECT 1 FROM projects UNION ALL SELECT 1 FROM events LIMIT 1"):
            raise ConflictError(
                "the target database is not empty: lore moves only into an empty one"
            )
        with target.db.write() as conn:
            copied = [_copy(source.db, conn, target.db, table, order) for table, order in TABLES]
            for table in IDENTITIES:
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
        return copied
    finally:
        target.close()


def _copy(
    source: Database, conn: Connection, target: Database, table: str, order: str
) -> TableCopy:
    columns = _shared_columns(source, target, table)
    listed = ", ".join(columns)
    rows = source.tuples(f"SELECT {listed} FROM {table} ORDER BY {order}")
    marks = ", ".join("?" * len(columns))
    if table == "nodes":  # a node may be superseded by a later one: linked once all are in
        later = columns.index("superseded_by")
        conn.executemany(
            f"INSERT INTO nodes ({listed}) VALUES ({marks})",
            [(*row[:later], None, *row[later + 1 :]) for row in rows],
        )
        conn.executemany(
            "UPDATE nodes SET superseded_by = ? WHERE id = ?",
            [(row[later], row[0]) for row in rows if row[later] is not None],
        )
    elif rows:
        conn.executemany(f"INSERT INTO {table} ({listed}) VALUES ({marks})", rows)
    copied = target.tuples(f"SELECT {listed} FROM {table} ORDER BY {order}")
    digest, check = _digest(rows), _digest(copied)
    if len(copied) != len(rows) or digest != check:
        raise StoreError(
            f"{table}: {len(rows)} rows read but {len(copied)} written, or their contents differ;"
            " nothing was moved"
        )
    return TableCopy(table, len(rows), digest)


def _shared_columns(source: Database, target: Database, table: str) -> list[str]:
    """The table's columns both stores have (the target's generated ones left out), in the
    source's order."""
    theirs = {
        row[0]
        for row in target.tuples(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = ? AND is_generated = 'NEVER'",
            (table,),
        )
    }
    return [row[1] for row in source.tuples(f"PRAGMA table_info({table})") if row[1] in theirs]


def _digest(rows: Sequence[Sequence[Any]]) -> str:
    def plain(value: Any) -> Any:
        return value.hex() if isinstance(value, bytes | memoryview) else value

    text = json.dumps([[plain(value) for value in row] for row in rows], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
