"""``lore migrate``: move the embedded store onto a team's PostgreSQL."""

from __future__ import annotations

import typer

from lore.cli.app import app, console, handles_errors, print_json, settings
from lore.config import is_postgres, shown_database
from lore.errors import ValidationError


@app.command()
@handles_errors
def migrate(
    to: str = typer.Option(..., "--to", help="the PostgreSQL URL to move into (an empty database)"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Copy this lore's SQLite store (projects, events, sessions, jobs, graph, vectors) into an
    empty PostgreSQL database, all or nothing, and compare every table's rows on both sides.
    Then point lore at it: database_url = "postgresql://..." (or LORE_DATABASE_URL).

    Example: lore migrate --to postgresql://lore@db.internal/lore
    """
    from lore.store.move import move_to_postgres
    from lore.store.sqlite import SQLiteStore

    if not is_postgres(to):
        raise ValidationError(f"--to must be a postgresql:// URL (got {to!r})", "to")
    loaded = settings().settings
    if is_postgres(loaded.database):
        raise ValidationError(
            "this lore is on PostgreSQL already; migrate moves a SQLite store", "to"
        )
    source = SQLiteStore.open(loaded.db_path)
    try:
        copied = move_to_postgres(source, to)
    finally:
        source.close()
    if json_out:
        print_json([{"table": c.table, "rows": c.rows, "digest": c.digest} for c in copied])
        return
    for copy in copied:
        console.print(f"{copy.table:<20} {copy.rows:>9,} rows  digest {copy.digest}  same on both")
    console.print(f"moved {loaded.db_path} to {shown_database(to)}")
