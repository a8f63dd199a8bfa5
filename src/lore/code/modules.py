"""The module map of a repository: for each folder of source code, what its modules are for
(their docstring or leading comment) and their public classes, functions and types, each
with its line, signature and first doc line.

The scan sends one ``code_map`` event per folder; the offline extractor makes an item of each
module and of each folder from it, so "where is the Context class defined" has an answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from lore.code import analyze_file, supported
from lore.code.model import FileAnalysis, Signature

MAX_MODULES = 2_000
MAX_SYMBOLS = 40
MAX_METHODS_PER_CLASS = 12
# Files that are tooling or generated, not the project's code.
NOT_CODE = re.compile(
    r"(^|/)(setup\.py|noxfile\.py|conftest\.py|manage\.py|docs?/conf\.py|[^/]*\.config\.[cm]?[jt]s"
    r"|[^/]*\.d\.ts|[^/]*\.min\.js|[^/]*_pb2(_grpc)?\.py|[^/]*\.pb\.go|[^/]*_gen(erated)?\.go"
    r"|zz_generated[^/]*)$|(^|/)(migrations|__generated__|generated)/"
)
# Test files by their name, where they sit beside the code (Go's, JavaScript's specs).
TEST_FILE = re.compile(
    r"(^test_.*\.py$|.*_test\.py$|.*\.(test|spec)\.[cm]?[jt]sx?$|.*_test\.go$|.*_spec\.rb$"
    r"|.*Test\.(java|kt|php)$|.*Tests?\.cs$)"
)
# The file whose doc says what its folder (package) is for.
PACKAGE_FILES = ("__init__.py", "doc.go", "lib.rs", "mod.rs", "index.ts", "index.js")


def module_map(root: Path, files: Iterable[str]) -> list[dict[str, Any]]:
    """One entry per folder holding analysed modules: ``folder``, ``doc`` (the package's) and
    ``modules`` (``path``, ``language``, ``doc``, ``symbols``), folders in path order."""
    folders: dict[str, list[FileAnalysis]] = {}
    analysed = 0
    for path in sorted(files):
        if analysed >= MAX_MODULES or not supported(path) or NOT_CODE.search(path):
            continue
        if TEST_FILE.match(PurePosixPath(path).name):
            continue
        analysis = analyze_file(root, path)
        if analysis is None or analysis.language == "prisma":
            continue
        analysed += 1
        folders.setdefault(str(PurePosixPath(path).parent), []).append(analysis)
    mapped = (_folder(folder, modules) for folder, modules in folders.items())
    return [folder for folder in mapped if folder["modules"]]


def _folder(folder: str, modules: Sequence[FileAnalysis]) -> dict[str, Any]:
    """The folder's package doc and its modules that say something (a doc or a public API)."""
    package_doc = next(
        (m.doc for m in modules if PurePosixPath(m.path).name in PACKAGE_FILES and m.doc), ""
    )
    if not package_doc and modules[0].language == "go":  # any file may carry the package doc
        package_doc = next((m.doc for m in modules if m.doc.startswith("Package ")), "")
    described = (_module(m) for m in modules)
    return {
        "folder": folder,
        "doc": package_doc,
        "modules": [module for module in described if module["doc"] or module["symbols"]],
    }


def _module(analysis: FileAnalysis) -> dict[str, Any]:
    return {
        "path": analysis.path,
        "language": analysis.language,
        "doc": analysis.doc,
        "symbols": [_symbol(s) for s in public_symbols(analysis.signatures)[:MAX_SYMBOLS]],
    }


def public_symbols(signatures: Sequence[Signature]) -> list[Signature]:
    """The module's public API: exported top-level definitions, classes and types first (what
    "where is X defined" asks about most), then functions, each with the first public methods
    of its class; a name overloaded (``@overload``) counts once."""
    shown: list[Signature] = []
    methods: dict[str, int] = {}
    seen: set[str] = set()
    for signature in sorted(signatures, key=lambda s: s.kind not in ("class", "type")):
        own_name = signature.name.rsplit(".", 1)[-1]
        if not signature.exported or own_name.startswith("_") or signature.name in seen:
            continue
        seen.add(signature.name)
        if signature.kind == "method":
            owner = signature.name.split(".", 1)[0]
            methods[owner] = methods.get(owner, 0) + 1
            if methods[owner] > MAX_METHODS_PER_CLASS or signature.name.endswith(".__init__"):
                continue
        shown.append(signature)
    return shown


def _symbol(signature: Signature) -> dict[str, Any]:
    symbol = {
        "kind": signature.kind,
        "name": signature.name,
        "line": signature.line,
        "signature": signature.text,
    }
    return symbol | ({"doc": signature.doc} if signature.doc else {})
