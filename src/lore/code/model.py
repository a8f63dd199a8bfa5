"""What code analysis finds in a file: what it is for, HTTP routes, schemas, and function and
class signatures."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_FIELDS_SHOWN = 8


@dataclass(frozen=True, slots=True)
class Route:
    method: str  # GET, POST, ... or ANY
    path: str
    handler: str
    framework: str
    line: int


@dataclass(frozen=True, slots=True)
class SchemaField:
    name: str
    type: str = ""
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Schema:
    name: str
    kind: str  # pydantic, sqlalchemy, django, zod, prisma, interface, type, dataclass
    fields: tuple[SchemaField, ...]
    line: int
    table: str | None = None


@dataclass(frozen=True, slots=True)
class Signature:
    kind: str  # function, class, method, type
    name: str
    text: str  # def name(params) -> type, class Name(Base), ...
    line: int
    doc: str = ""
    exported: bool = True  # part of the module's public API


@dataclass(frozen=True, slots=True)
class FileAnalysis:
    path: str
    language: str
    doc: str = ""  # what the module says it is for: its docstring or leading comment
    routes: list[Route] = field(default_factory=list)
    schemas: list[Schema] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.routes or self.schemas or self.signatures)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def facts(self) -> list[str]:
        """Short statements a reader can use: the routes and the schemas, with their fields."""
        found = []
        if self.routes:
            shown = ", ".join(f"{r.method} {r.path} ({r.handler})" for r in self.routes[:10])
            more = f" and {len(self.routes) - 10} more" if len(self.routes) > 10 else ""
            found.append(f"Routes in {self.path}: {shown}{more}.")
        for schema in [schema for schema in self.schemas if schema.fields][:6]:
            found.append(
                f"{schema.name} ({schema.kind}{_table(schema)}) in {self.path}: {_fields(schema)}."
            )
        return found


def _table(schema: Schema) -> str:
    return f", table {schema.table}" if schema.table else ""


def _fields(schema: Schema) -> str:
    shown = [
        f"{f.name}{'?' if f.optional else ''}{': ' + f.type if f.type else ''}"
        for f in schema.fields[:MAX_FIELDS_SHOWN]
    ]
    more = len(schema.fields) - MAX_FIELDS_SHOWN
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "") if shown else "no fields"
