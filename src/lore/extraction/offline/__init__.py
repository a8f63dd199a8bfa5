"""The offline extractor: memory items from events by rules, without any model.

Each event type has its rules (``saves``, ``scans``, ``modules``, ``docs``, ``commits``); agent steps and user
requests are read together, in order (``steps``). Every item quotes the event it came from and
gets a schema key, like the items an LLM proposes, and goes through the same quote check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lore.domain import Event
from lore.extraction.offline.build import Options
from lore.extraction.offline.commits import from_git_digest, from_releases
from lore.extraction.offline.docs import from_doc_sections
from lore.extraction.offline.modules import from_code_map
from lore.extraction.offline.saves import from_remember, from_session_save
from lore.extraction.offline.scans import from_scan
from lore.extraction.offline.steps import from_steps
from lore.extraction.prompts_enrich import ExtractedItem

EXTRACTOR = "offline/1"

PER_EVENT: dict[str, Callable[[Event, Options], list[ExtractedItem]]] = {
    "session_save": from_session_save,
    "remember": from_remember,
    "note": from_remember,
    "scan_result": from_scan,
    "code_map": from_code_map,
    "doc_sections": from_doc_sections,
    "git_digest": from_git_digest,
}


def extract(events: Sequence[Event], options: Options | None = None) -> list[ExtractedItem]:
    """Items from ``events`` (one session's, oldest first)."""
    options = options or Options()
    items: list[ExtractedItem] = []
    for event in events:
        rule = PER_EVENT.get(event.type)
        if rule is not None:
            items += rule(event, options)
    items += from_releases(events, options)
    items += from_steps(events, options)
    return items


__all__ = ["EXTRACTOR", "Options", "extract"]
