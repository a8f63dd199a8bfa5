"""The typer application and what every command shares: options, opening lore, error mapping.

Each area adds its commands in its own module (``lore.cli.<area>``) with ``@app.command()``;
``lore.cli.main`` imports them all.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from lore.config import LoadedSettings, database_file, load_settings
from lore.core import Lore
from lore.errors import ConfigError, LoreError

app = typer.Typer(
    name="lore",
    help="Long-term memory for AI coding agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class GlobalOptions:
    def __init__(self) -> None:
        self.db: str | None = None
        # Project files whose ignored settings were reported in this process.
        self.warned: set[Path | None] = set()


options = GlobalOptions()


@app.callback()
def main_options(
    db: str = typer.Option(
        None,
        "--db",
        help="Database file or URL (default $LORE_HOME/lore.db).",
        envvar="LORE_DATABASE_URL",
    ),
    create: bool = typer.Option(
        False, "--create", help="With --db: make a new database there if there is none."
    ),
) -> None:
    if db and not create and not _database_exists(db):
        # A mistyped path would otherwise start an empty memory without a word.
        raise typer.BadParameter(
            f"{db} does not exist; pass --create to make a new database there", param_hint="--db"
        )
    options.db = db


def _database_exists(db: str) -> bool:
    try:
        return database_file(db).is_file()
    except ConfigError:
        return True  # not a file: opening the store says what is wrong with it


def settings(cwd: Path | None = None, **overrides: Any) -> LoadedSettings:
    """Settings for this invocation: the layers (``.lore.toml`` searched from ``cwd``, default
    the current folder) plus the command line. A command runs no worker thread: the jobs it
    queues go to the local service, which outlives it (``lore serve`` starts its own worker)."""
    if options.db:
        overrides.setdefault("database_url", options.db)
    overrides.setdefault("pipeline.in_process_worker", False)
    loaded = load_settings(cwd=cwd, overrides=overrides)
    if loaded.ignored and loaded.project_file not in options.warned:
        options.warned.add(loaded.project_file)
        err_console.print(f"[yellow]warning:[/] {untrusted_message(loaded)}")
    return loaded


def untrusted_message(loaded: LoadedSettings) -> str:
    keys = ", ".join(loaded.ignored)
    return (
        f"ignoring {keys} from {loaded.project_file}: a repository's file may set where data"
        " goes only once you trust it (`lore trust`)"
    )


F = TypeVar("F", bound=Callable[..., Any])


def handles_errors(func: F) -> F:
    """Turn lore's errors into a one-line message and exit code 1 (2 for bad input)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LoreError as exc:
            from lore.errors import ValidationError

            err_console.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(2 if isinstance(exc, ValidationError) else 1) from None

    return wrapper  # type: ignore[return-value]


def open_lore(cwd: Path | None = None) -> Lore:
    return Lore.open(settings=settings(cwd))


def print_json(data: Any) -> None:
    console.print_json(json.dumps(data, default=str))


def when(timestamp: float | None) -> str:
    """A stored UNIX time as local ``YYYY-MM-DD HH:MM``; blank when unset."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
