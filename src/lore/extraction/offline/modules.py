"""Items from the scan's module map (``code_map``): one per module, saying what it is for and
where its public classes, functions and types are defined, and one per folder listing its
modules with their roles.

The facts are read straight from the code, so the items carry a high confidence; their dedup
hints (``code:module:<path>``, ``code:folder:<folder>``) let a later scan supersede them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from lore.domain import Event
from lore.extraction.offline.build import Options, quote
from lore.extraction.offline.text import clip
from lore.extraction.prompts_enrich import ExtractedItem
from lore.extraction.schema_keys import schema_key

MAX_SYMBOL_FACTS = 15
SMALL_MODULE_SYMBOLS = 3
MAX_FOLDER_MODULES = 30
SIGNATURE_CHARS = 160


def from_code_map(event: Event, options: Options) -> list[ExtractedItem]:
    folder = event.payload
    modules = [m for m in folder.get("modules") or [] if isinstance(m, dict) and m.get("path")]
    listed = list(_folder(event, str(folder.get("folder") or ""), folder, modules, options))
    # A small module that says nothing of itself is a line of its folder's item, not an item.
    shown = [m for m in modules if not listed or _substantial(m)]
    return [item for module in shown for item in _module(event, module, options)] + listed


def _symbols(module: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(every symbol, the top ones): classes, functions and types, and the methods of a type
    defined in another file (Go's methods of ``Command`` in ``flag_groups.go``)."""
    symbols = [s for s in module.get("symbols") or [] if isinstance(s, dict) and s.get("name")]
    names = {str(s["name"]) for s in symbols if s.get("kind") != "method"}
    top = [
        s
        for s in symbols
        if s.get("kind") != "method" or str(s["name"]).split(".", 1)[0] not in names
    ]
    return symbols, top


def _substantial(module: dict[str, Any]) -> bool:
    _, top = _symbols(module)
    documented = any(s.get("doc") for s in top)
    return bool(module.get("doc")) or documented or len(top) >= SMALL_MODULE_SYMBOLS


def _module(event: Event, module: dict[str, Any], options: Options) -> Iterator[ExtractedItem]:
    path = str(module["path"])
    doc = str(module.get("doc") or "")
    symbols, top = _symbols(module)
    if not doc and not top:
        return
    facts = [f"{path}: {doc}" if doc else f"{path} ({module.get('language')})."]
    facts += [_symbol_fact(symbol, symbols) for symbol in top[:MAX_SYMBOL_FACTS]]
    if len(top) > MAX_SYMBOL_FACTS:
        rest = ", ".join(str(s["name"]) for s in top[MAX_SYMBOL_FACTS:])
        facts.append(f"Also defines {clip(rest, 300)}.")
    names = ", ".join(str(s["name"]) for s in top[:5])
    yield ExtractedItem(
        type="architecture",
        title=clip(f"{path}: {doc or 'defines ' + names}"),
        facts=facts,
        files=[path],
        schema_key=schema_key([path], package=options.package),
        confidence=0.95,
        importance=0.5,
        tags=sorted({"code", "module", str(module.get("language") or "")} - {""}),
        dedup_hint=f"code:module:{path}",
        evidence=[quote(event, path)],
    )


def _symbol_fact(symbol: dict[str, Any], symbols: list[dict[str, Any]]) -> str:
    fact = f"`{clip(str(symbol.get('signature') or symbol['name']), SIGNATURE_CHARS)}`"
    fact += f" at line {symbol.get('line')}"
    fact += f": {str(symbol['doc']).rstrip('.')}." if symbol.get("doc") else "."
    prefix = f"{symbol['name']}."
    methods = [str(s["name"])[len(prefix) :] for s in symbols if str(s["name"]).startswith(prefix)]
    if methods:
        fact += f" Methods: {', '.join(methods)}."
    return fact


def _role(module: dict[str, Any]) -> str:
    """What a module is for, as its folder's item lists it: its doc, else what it defines."""
    if module.get("doc"):
        return f" ({clip(str(module['doc']), 100)})"
    _, top = _symbols(module)
    return f" (defines {', '.join(str(s['name']) for s in top[:4])})" if top else ""


def _folder(
    event: Event,
    folder: str,
    payload: dict[str, Any],
    modules: list[dict[str, Any]],
    options: Options,
) -> Iterator[ExtractedItem]:
    """The folder's item, when it is a package with a doc of its own or several modules."""
    doc = str(payload.get("doc") or "")
    if not folder or folder == "." or (not doc and len(modules) < 2):
        return
    roles = [
        f"{PurePosixPath(str(m['path'])).name}{_role(m)}" for m in modules[:MAX_FOLDER_MODULES]
    ]
    facts = [f"{folder}/: {doc}"] if doc else []
    facts.append(f"Modules in {folder}/: {'; '.join(roles)}.")
    yield ExtractedItem(
        type="architecture",
        title=clip(f"{folder}/: {doc}" if doc else f"The {folder}/ folder"),
        facts=facts,
        files=[str(m["path"]) for m in modules[:MAX_FOLDER_MODULES]],
        # A generic file name, so that the key is the folder's and names no module.
        schema_key=schema_key([f"{folder}/__init__"], package=options.package),
        confidence=0.95,
        importance=0.6,
        tags=["code", "package"],
        dedup_hint=f"code:folder:{folder}",
        evidence=[quote(event, folder)],
    )
