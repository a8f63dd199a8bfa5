"""Items from the project's documents (``doc_sections``): one per top section of each file,
with its first paragraph and those of its subsections, so "how do I install it" or "how are
releases made" finds the page that says so.

Sections split at the shallowest heading level that occurs twice (the ``##`` of a page with
one ``#`` title), else at the deepest; deeper ones fold into their parent. Dedup hints are ``doc:<path>#<heading>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from lore.domain import Event
from lore.extraction.offline.build import Options, quote
from lore.extraction.offline.text import clip
from lore.extraction.prompts_enrich import ExtractedItem
from lore.extraction.schema_keys import slug

MAX_SUBSECTIONS = 8
TITLE_CHARS = 120
# Documents and headings about how to work on the project rather than what it is.
HOW_TO_WORK = re.compile(
    r"contribut|develop|hacking|style|convention|releas|testing|workflow|coding", re.I
)


def from_doc_sections(event: Event, options: Options) -> list[ExtractedItem]:
    document = event.payload
    path = str(document.get("path") or "")
    found = [s for s in document.get("sections") or [] if isinstance(s, dict)]
    if not path or not found:
        return []
    title = str(document.get("title") or PurePosixPath(path).stem)
    return [
        item
        for heading, group in _groups(found, title)
        for item in _item(event, path, title, heading, group)
    ]


def _groups(
    sections: list[dict[str, Any]], title: str
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(heading, [section, subsections...]) at the split level."""
    levels = [int(s.get("level") or 0) for s in sections if s.get("heading")]
    repeated = [level for level in set(levels) if levels.count(level) >= 2]
    split = min(repeated) if repeated else max(levels, default=1)
    heading, group = title, list[dict[str, Any]]()
    for section in sections:
        level = int(section.get("level") or 0)
        if section.get("heading") and level <= split and group:
            yield heading, group
            group = []
        if level <= split and section.get("heading"):
            heading = str(section["heading"])
        group.append(section)
    if group:
        yield heading, group


def _item(
    event: Event, path: str, title: str, heading: str, group: list[dict[str, Any]]
) -> Iterator[ExtractedItem]:
    head, subsections = group[0], group[1:]
    if PurePosixPath(path).stem.lower() == "readme" and int(head.get("level") or 0) <= 1:
        return  # the README's opening is the scan's overview item already
    text = str(head.get("text") or "")
    facts = [text] if text else []
    facts += [f"{sub['heading']}: {sub['text']}" for sub in subsections if sub.get("text")][
        :MAX_SUBSECTIONS
    ]
    if not facts:
        return
    untold = [str(sub["heading"]) for sub in subsections if not sub.get("text")]
    if untold:
        facts.append(f"Also covers: {', '.join(untold[:10])}.")
    working = HOW_TO_WORK.search(path) or HOW_TO_WORK.search(heading)
    # The page's title says what a section is part of ("Testing Click Applications › Basic").
    where = f"{title} › {heading}" if title and heading != title else heading
    if len(f"{path}: {where}") > TITLE_CHARS:  # a long page title would cut the heading off
        where = heading
    yield ExtractedItem(
        type="convention" if working else "architecture",
        title=clip(f"{path}: {where}", TITLE_CHARS),
        facts=facts,
        files=[path],
        schema_key=f"root/docs/{slug(PurePosixPath(path).stem) or 'readme'}",
        confidence=0.9,
        importance=0.55,
        tags=["docs"],
        dedup_hint=f"doc:{path}#{slug(heading)[:60]}",
        evidence=[quote(event, text or str(subsections[0]["text"]))],
    )
