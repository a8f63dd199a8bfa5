"""The project's documentation as memory: the README, CONTRIBUTING and the like at the top, and
the Markdown and reStructuredText files under ``docs/``, each cut into its sections (heading and
first paragraph). Part of ``lore scan``: one ``doc_sections`` event per file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from lore.capture.manifests import read_text

MAX_FILES = 80
MAX_SECTIONS = 40
MAX_TEXT_CHARS = 600
MAX_FILE_BYTES = 1_000_000
MAX_CODE_LINES = 3
DOC_SUFFIXES = (".md", ".markdown", ".rst", ".mdx", ".txt")
DOC_FOLDERS = ("docs", "doc", "documentation")
DOC_SUFFIXES_AT_TOP = (".md", ".markdown", ".rst", ".mdx")
# Top-level documents that say nothing of how the project works, by the start of their name
# (case-insensitive): release notes, legal text, people.
NOT_GUIDES = (
    "changelog", "changes", "history", "news", "license", "licence", "copying", "notice",
    "code_of_conduct", "code-of-conduct", "conduct", "authors", "maintainers", "contributors",
    "privacy", "projects_using", "backers", "sponsors",
)  # fmt: skip
# Sections that carry no knowledge of the project.
SKIPPED_HEADINGS = re.compile(
    r"^(table of contents|contents|toc|licen[cs]e|contributors|sponsors?|backers|badges|"
    r"acknowledge?ments?|credits|authors|star history|code of conduct)$",
    re.I,
)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
# How blocks that are not prose start: HTML, badges, tables, directives, rules.
NOT_PROSE = ("<", "[!", "![", "|", "..", ":", "=", "---", "***")
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&#?\w+;")
_LINK = re.compile(r"!?\[[^\]]*\]\([^)]*\)|https?://\S+")


@dataclass(frozen=True, slots=True)
class Section:
    level: int
    heading: str
    body: str


def doc_files(files: Sequence[str]) -> list[str]:
    """The project's documents: the Markdown and reStructuredText files at the top (and a
    README of any kind) but release notes, legal text and lists of people, then those under a
    docs folder (up to three levels down), in path order."""
    top = [p for p in files if "/" not in p and _is_guide(p)]
    nested = [
        p
        for p in files
        if p.split("/", 1)[0].lower() in DOC_FOLDERS and p.count("/") <= 3 and _is_doc(p)
    ]
    return (sorted(top) + sorted(nested))[:MAX_FILES]


def _is_guide(name: str) -> bool:
    lowered = name.lower()
    if lowered.startswith("readme"):
        return True
    return lowered.endswith(DOC_SUFFIXES_AT_TOP) and not lowered.startswith(NOT_GUIDES)


def _is_doc(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in DOC_SUFFIXES


def describe_docs(root: Path, files: Sequence[str]) -> list[dict[str, Any]]:
    """One entry per document with sections worth keeping: ``path``, ``title`` and
    ``sections`` (``level``, ``heading``, ``text``: the first paragraph)."""
    described = []
    for path in doc_files(files):
        file = root / path
        if not file.is_file() or file.stat().st_size > MAX_FILE_BYTES:
            continue
        found = sections(read_text(file))
        kept = [
            {"level": s.level, "heading": s.heading, "text": first_paragraph(s.body)}
            for s in found
            if not SKIPPED_HEADINGS.match(s.heading)
        ][:MAX_SECTIONS]
        if any(section["text"] for section in kept):
            title = _title(found) or PurePosixPath(path).stem
            described.append({"path": path, "title": title, "sections": kept})
    return described


def _title(found: Sequence[Section]) -> str:
    """The first heading of the shallowest level (what comes before it, such as a
    reStructuredText directive, is no title)."""
    headed = [s for s in found if s.heading]
    top = min((s.level for s in headed), default=0)
    return next((s.heading for s in headed if s.level == top), "")


def sections(text: str) -> list[Section]:
    """The sections of a Markdown or reStructuredText text: ATX (``## x``) and setext or
    underlined headings; fenced code blocks are never headings. Text before the first heading
    is a section of level 0 with no heading."""
    found: list[Section] = []
    underline_levels: list[str] = []
    level, heading, body = 0, "", []
    lines = text.splitlines()
    in_fence = False
    skip = False
    for index, line in enumerate(lines):
        if skip:
            skip = False
            continue
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        title = None if in_fence else _heading(line, lines, index, underline_levels)
        if title is None:
            body.append(line)
            continue
        found.append(Section(level, heading, "\n".join(body)))
        (level, heading), body = title, []
        skip = not _MD_HEADING.match(line)  # the underline
    found.append(Section(level, heading, "\n".join(body)))
    return [s for s in found if s.heading or s.body.strip()]


def _heading(
    line: str, lines: Sequence[str], index: int, underline_levels: list[str]
) -> tuple[int, str] | None:
    if match := _MD_HEADING.match(line):
        return len(match[1]), match[2]
    underline = lines[index + 1].strip() if index + 1 < len(lines) else ""
    if line.strip() and _is_underline(underline) and len(underline) >= len(line.strip()) - 1:
        if underline[0] not in underline_levels:
            underline_levels.append(underline[0])
        return underline_levels.index(underline[0]) + 1, line.strip()
    return None


def _is_underline(text: str) -> bool:
    return len(text) >= 3 and len(set(text)) == 1 and text[0] in "=-~^*+#"


def first_paragraph(text: str, *, lists: bool = True) -> str:
    """The first paragraph of prose, or (with ``lists``) the first list as ``a; b; c``: not a
    badge, HTML, table, directive or code. A paragraph that ends with a colon goes on with
    the first lines of the code block it introduces (``On a fresh machine: `pip install x```)."""
    blocks = list(_blocks(text))
    for index, (is_code, block) in enumerate(blocks):
        first = block[0].strip()
        if is_code or first.startswith(NOT_PROSE) or first.endswith("::") or _markup(block):
            continue
        if _BULLET.match(block[0]):
            if not lists:
                continue
            paragraph = "; ".join(
                _BULLET.sub("", line).strip() for line in block if _BULLET.match(line)
            )
        else:
            paragraph = " ".join(line.strip() for line in block)
        following = blocks[index + 1] if index + 1 < len(blocks) else (False, [])
        if paragraph.endswith(":") and following[0]:
            commands = [
                line.strip()
                for line in following[1]
                if line.strip() and not line.lstrip().startswith("#")
            ]
            paragraph += " " + "; ".join(f"`{command}`" for command in commands[:MAX_CODE_LINES])
        return _clip(paragraph)
    return ""


def _markup(block: list[str]) -> bool:
    """A block that is HTML, entities and links rather than words (a README's logo banner)."""
    raw = " ".join(block)
    words = _LINK.sub(" ", _ENTITY.sub(" ", _TAG.sub(" ", raw)))
    return words != raw and len(re.findall(r"[A-Za-z]{2,}", words)) < 3


def _blocks(text: str) -> Iterable[tuple[bool, list[str]]]:
    """Paragraphs and fenced code blocks, as (is code, lines)."""
    block: list[str] = []
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            if block:
                yield in_fence, block  # code when the fence closes, prose when it opens
                block = []
            in_fence = not in_fence
        elif in_fence or line.strip():
            block.append(line)
        elif block:
            yield False, block
            block = []
    if block:
        yield in_fence, block


def _clip(text: str) -> str:
    return (
        text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1].rsplit(" ", 1)[0] + "…"
    )
