"""Building ``ExtractedItem``s the same way for every offline rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lore.domain import Event
from lore.domain.graph import ItemType
from lore.extraction.offline.text import split_rationale, title_of
from lore.extraction.prompts_enrich import EvidenceRef, ExtractedItem
from lore.extraction.schema_keys import schema_key, slug

QUOTE_CHARS = 300


@dataclass(frozen=True, slots=True)
class Options:
    """``package``: the project's package name, left out of schema keys."""

    package: str = ""


def quote(event: Event, text: str) -> EvidenceRef:
    """Evidence from ``event``: the start of ``text``, which the event holds verbatim."""
    return EvidenceRef(event_id=event.id, quote=" ".join(text.split())[:QUOTE_CHARS])


def statement_item(
    event: Event,
    type_: ItemType,
    text: str,
    *,
    files: Sequence[str],
    confidence: float,
    importance: float,
    options: Options,
    tags: Sequence[str] = (),
    topic: str | None = None,
    quoted: str | None = None,
) -> ExtractedItem:
    """An item made of one statement someone wrote down (a decision, a convention, a bug):
    its first sentence is the title, a stated reason the rationale, the whole text the fact.
    ``quoted`` is the part the event holds verbatim when ``text`` was assembled."""
    what, why = split_rationale(text)
    title = title_of(what)
    return ExtractedItem(
        type=type_,
        title=title,
        facts=[" ".join(text.split())],
        rationale=why,
        files=list(files),
        schema_key=schema_key(files, text, fallback=topic or type_, package=options.package),
        confidence=confidence,
        importance=importance,
        tags=sorted({type_, *tags}),
        dedup_hint=f"{type_}:{slug(title)[:60]}",
        evidence=[quote(event, quoted or text)],
    )
