"""Repositories written once in the SQL SQLite and PostgreSQL share, over a small DB-API-like
``Database``: ``?`` placeholders, rows read by column name or position, ``write()`` for one
transaction (nested use joins it), and the backend's ``IntegrityError``. Each backend supplies
its ``Database`` and what it must do its own way (full text, vectors, claiming jobs)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...
    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor: ...


class Dialect(Protocol):
    """The few expressions the engines spell differently."""

    def utc_day(self, seconds: str) -> str:
        """The UTC date (``YYYY-MM-DD`` text) of the UNIX time expression ``seconds``."""
        ...

    def json_values(self, column: str) -> str:
        """A table of the JSON text array in ``column``, one row per element, as ``value``."""
        ...

    def json_text(self, column: str, path: str) -> str:
        """The text at the dotted ``path`` (``dedup.action``) of the JSON object in ``column``."""
        ...

    def id_list(self, column: str) -> str:
        """An aggregate of the integer ``column`` as comma-separated text."""
        ...

    def last_chars(self, value: str) -> str:
        """The last N characters of ``value``, N the next parameter."""
        ...

    def by_id(self, table: str) -> str:
        """``table`` (with its alias) as a lookup by id reads it: SQLite's planner needs telling
        not to scan a project's rows through another index."""
        ...


class Database(Protocol):
    @property
    def dialect(self) -> Dialect: ...

    @property
    def IntegrityError(self) -> type[Exception]:  # named as DB-API modules name it
        """What a statement breaking a unique or foreign key constraint raises."""
        ...

    @property
    def conn(self) -> Connection:
        """For reads (and writes that need no transaction of their own)."""
        ...

    def tuples(self, sql: str, parameters: Sequence[Any] = (), /) -> list[tuple[Any, ...]]:
        """Rows as plain tuples, for recall's hot paths."""
        ...

    def close(self) -> None: ...

    def write(self) -> AbstractContextManager[Connection]:
        """A write transaction: committed on success, rolled back on any error; nested use
        joins the outer one."""
        ...


def like_escaped(text: str) -> str:
    """``text`` for a ``LIKE ... ESCAPE '\\'`` pattern: its ``%`` and ``_`` match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


__all__ = ["Connection", "Cursor", "Database", "Dialect", "like_escaped"]
