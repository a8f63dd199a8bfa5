"""Items people and agents wrote down themselves: saved sessions and remembered facts.

A ``session_save`` holds a summary and categorised lists (decisions, changes, bugs, todos,
conventions, ...): each entry becomes an item of its category, the summary an implementation
item. ``remember`` (and ``note``) events hold one statement with its kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lore.domain import Event
from lore.domain.graph import ITEM_TYPES, ItemType
from lore.extraction.offline.build import Options, quote, statement_item
from lore.extraction.offline.text import clip, sentences, title_of
from lore.extraction.prompts_enrich import ExtractedItem
from lore.extraction.schema_keys import schema_key, slug

# Payload list -> item type, confidence, importance.
CATEGORIES: dict[str, tuple[ItemType, float, float]] = {
    "decisions": ("decision", 0.9, 0.75),
    "conventions": ("convention", 0.9, 0.8),
    "bugs": ("bug", 0.85, 0.6),
    "todos": ("todo", 0.85, 0.5),
    "architecture": ("architecture", 0.85, 0.75),
    "changes": ("implementation", 0.85, 0.45),
    "implementation": ("implementation", 0.85, 0.5),
    "learnings": ("implementation", 0.8, 0.55),
    "notes": ("implementation", 0.8, 0.4),
}
SUMMARY_FACTS = 6


def from_session_save(event: Event, options: Options) -> list[ExtractedItem]:
    payload = event.payload
    files = _texts(payload.get("files"))
    items: list[ExtractedItem | None] = [
        _summary_item(event, str(payload.get("summary") or ""), files, options)
    ]
    for key, (type_, confidence, importance) in CATEGORIES.items():
        for entry in _entries(payload.get(key)):
            items.append(
                statement_item(
                    event,
                    type_,
                    entry["text"],
                    files=entry["files"] or files,
                    confidence=confidence,
                    importance=importance,
                    options=options,
                    quoted=entry["quoted"],
                )
            )
    return [item for item in items if item is not None]


def from_remember(event: Event, options: Options) -> list[ExtractedItem]:
    """One stated fact; its ``kind`` (or ``type``) names the item type, convention otherwise."""
    text = str(event.payload.get("text") or "").strip()
    if len(text) < 5:
        return []
    kind = event.payload.get("kind") or event.payload.get("type")
    type_: ItemType = kind if kind in ITEM_TYPES else "convention"
    files = _texts(event.payload.get("files"))
    return [
        statement_item(
            event, type_, text, files=files, confidence=0.9, importance=0.7, options=options
        )
    ]


def _summary_item(
    event: Event, summary: str, files: list[str], options: Options
) -> ExtractedItem | None:
    facts = sentences(summary)[:SUMMARY_FACTS]
    if not facts:
        return None
    title = title_of(summary)
    return ExtractedItem(
        type="implementation",
        title=title,
        facts=facts,
        files=files,
        schema_key=schema_key(files, summary, fallback="sessions", package=options.package),
        confidence=0.85,
        importance=0.5,
        tags=["implementation", "session-summary"],
        dedup_hint=f"summary:{slug(title)[:60]}",
        evidence=[quote(event, summary)],
    )


def _entries(value: Any) -> list[dict[str, Any]]:
    """A category's entries as {"text", "quoted", "files"}: strings, or objects with a title
    and a detail (then "quoted" is the title, which the event holds verbatim)."""
    entries: list[dict[str, Any]] = []
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, str) and entry.strip():
            entries.append({"text": entry.strip(), "quoted": None, "files": []})
        elif isinstance(entry, dict):
            head = str(entry.get("title") or entry.get("text") or entry.get("summary") or "")
            detail = str(entry.get("rationale") or entry.get("description") or "")
            text = f"{clip(head, 200)}: {detail.strip()}" if head and detail else head or detail
            if text.strip():
                entries.append(
                    {"text": text, "quoted": head or detail, "files": _texts(entry.get("files"))}
                )
    return entries


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, Sequence):
        return [str(item) for item in value if isinstance(item, str) and item.strip()]
    return []
