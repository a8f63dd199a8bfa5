"""Source analysis: what each module is for, its HTTP routes, schemas and signatures, parsed with
tree-sitter (Python, TypeScript, JavaScript, Go, Rust; Prisma schemas by a small parser), for
the scan's module map and Deep Enrich, and linked repositories."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from lore.code import golang, javascript, prisma, python, rust
from lore.code.model import FileAnalysis, Route, Schema, SchemaField, Signature

MAX_FILE_BYTES = 512 * 1024
ANALYZERS = {
    ".py": python.analyze,
    ".pyi": python.analyze,
    ".prisma": prisma.analyze,
    ".go": golang.analyze,
    ".rs": rust.analyze,
    **{suffix: javascript.analyze for suffix in javascript.LANGUAGES},
}


def supported(path: str) -> bool:
    return PurePosixPath(path).suffix in ANALYZERS


def analyze_file(root: Path, path: str) -> FileAnalysis | None:
    """The analysis of ``path`` (relative to ``root``); None when the file is missing, too
    large, outside ``root`` or of a language without an analyzer."""
    analyzer = ANALYZERS.get(PurePosixPath(path).suffix)
    if analyzer is None:
        return None
    file = (root / path).resolve()
    if not file.is_relative_to(root.resolve()) or not file.is_file():
        return None
    if file.stat().st_size > MAX_FILE_BYTES:
        return None
    return analyzer(path, file.read_bytes())


__all__ = [
    "FileAnalysis",
    "Route",
    "Schema",
    "SchemaField",
    "Signature",
    "analyze_file",
    "supported",
]
