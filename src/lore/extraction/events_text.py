"""Events as text: the blocks an LLM reads, and the normalised text quotes are checked against.

A block is the event's payload flattened to ``key: value`` lines. Diffs are cut to
``diff_max_chars`` and the whole block to ``evidence_max_chars`` so one chunk stays small;
quotes are verified against the uncut text, so a quote from either is accepted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from lore.domain import Event

DIFF_KEYS = ("diff", "patch")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
MIN_QUOTE_CHARS = 3


def event_text(event: Event) -> str:
    """The whole payload as ``key: value`` lines (nested keys dotted), diffs last."""
    facts, diffs = _flattened(event, None)
    return "\n".join([*facts, *diffs])


def event_summary(event: Event) -> str:
    """One readable line, as a person scanning a history reads an event: a tool call as
    ``Tool input: result`` (``failed`` when it did), a commit as its subject and body with the
    files it touched, a repository scan as its languages, frameworks, manifests and README
    summary, a module map as its folder and modules with their roles, a document as its sections, any other payload as ``key: value`` pairs. Diffs are left out: the words
    around them say what changed, and their lines would swamp the rest."""
    payload = event.payload
    if isinstance(payload.get("tool"), str):
        return _tool_call(payload)
    if event.type == "scan_result" and isinstance(payload.get("languages"), dict):
        return _scan_line(payload)
    if event.type == "code_map" and isinstance(payload.get("modules"), list):
        return _code_map_line(payload)
    if event.type == "doc_sections" and isinstance(payload.get("sections"), list):
        return _doc_line(payload)
    commits = payload.get("commits")
    if isinstance(commits, list) and commits and all(isinstance(c, dict) for c in commits):
        return " ".join(_commit_line(commit) for commit in commits)
    facts, _ = _flattened(event, None)
    return "; ".join(facts)


def event_block(event: Event, *, evidence_max_chars: int, diff_max_chars: int) -> str:
    """One delimited event for a prompt: at most ``evidence_max_chars`` of payload text, then
    its diffs, each cut to ``diff_max_chars``."""
    facts, diffs = _flattened(event, diff_max_chars)
    body = "\n".join(facts)
    if len(body) > evidence_max_chars:
        body = body[:evidence_max_chars] + " […]"
    header = f'<event id="{event.id}" source="{event.source}" type="{event.type}">'
    return "\n".join([header, body, *diffs, "</event>"])


def normalise(text: str) -> str:
    """Lowercase words separated by single spaces: what quote matching compares."""
    folded = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    return _NOT_WORD.sub(" ", folded).strip()


def quote_found(quote: str, normalised_text: str) -> bool:
    wanted = normalise(quote)
    return len(wanted) >= MIN_QUOTE_CHARS and wanted in normalised_text


def _tool_call(payload: dict[str, Any]) -> str:
    done = " ".join(str(payload.get(key) or "") for key in ("tool", "command")).strip()
    if not payload.get("command"):
        done = f"{done} {payload.get('input') or ''}".strip()
    if payload.get("error") is True:
        done += " failed"
    result = payload.get("result")
    return f"{done}: {result}" if result else done


def _scan_line(scan: dict[str, Any]) -> str:
    languages = [
        f"{name} ({info.get('lines', 0):,} lines in {info.get('files', 0):,} files)"
        if index == 0 else name
        for index, (name, info) in enumerate(scan["languages"].items())
        if isinstance(info, dict)
    ][:5]  # fmt: skip
    frameworks = [f["name"] for f in scan.get("frameworks") or [] if isinstance(f, dict)]
    manifests = [m["path"] for m in scan.get("manifests") or [] if isinstance(m, dict)]
    readme = scan.get("readme")
    summary = readme.get("summary") if isinstance(readme, dict) else None
    parts = [
        f"scan of {scan.get('name') or scan.get('root')}: {', '.join(languages)}",
        f"frameworks {', '.join(frameworks)}" if frameworks else "",
        f"manifests {', '.join(manifests[:5])}" if manifests else "",
        f"README: {summary}" if summary else "",
    ]
    return "; ".join(part for part in parts if part)


def _code_map_line(folder: dict[str, Any]) -> str:
    modules = [
        f"{m.get('path')}" + (f" ({m['doc']})" if m.get("doc") else "")
        for m in folder["modules"]
        if isinstance(m, dict)
    ]
    head = f"code in {folder.get('folder')}/" + (f": {folder['doc']}" if folder.get("doc") else "")
    return f"{head}; modules {'; '.join(modules)}"


def _doc_line(document: dict[str, Any]) -> str:
    shown = [
        f"{s.get('heading')}: {s.get('text')}" if s.get("text") else str(s.get("heading"))
        for s in document["sections"]
        if isinstance(s, dict) and (s.get("heading") or s.get("text"))
    ]
    return f"document {document.get('path')}: {'; '.join(shown)}"


def _commit_line(commit: dict[str, Any]) -> str:
    head = " ".join(
        part
        for part in ("commit", str(commit.get("sha") or "")[:10], str(commit.get("subject") or ""))
        if part
    )
    if commit.get("author"):
        head += f" (by {commit['author']})"
    body = str(commit.get("body") or "").strip()
    paths = [f["path"] if isinstance(f, dict) else str(f) for f in commit.get("files") or []]
    parts = [head, body, f"files: {', '.join(paths)}" if paths else ""]
    return ". ".join(part.rstrip(". ") for part in parts if part)


def _flattened(event: Event, diff_max_chars: int | None) -> tuple[list[str], list[str]]:
    facts: list[str] = []
    diffs: list[str] = []
    for key, text in _leaves(event.payload, ""):
        if key.rsplit(".", 1)[-1] in DIFF_KEYS:
            if diff_max_chars is not None and len(text) > diff_max_chars:
                text = text[:diff_max_chars] + " […]"
            diffs.append(f"{key}: {text}")
        else:
            facts.append(f"{key}: {text}")
    return facts, diffs


def _leaves(value: Any, key: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(item, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list):
        if all(isinstance(item, str | int | float) for item in value):
            if value:
                yield key, ", ".join(str(item) for item in value)
        else:
            for index, item in enumerate(value):
                yield from _leaves(item, f"{key}[{index}]")
    elif value is not None and value != "":
        yield key, str(value)
