"""Small text helpers of the offline extractor: sentences, titles and rationales."""

from __future__ import annotations

import re

TITLE_CHARS = 90
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(])")
# Phrases that introduce the reason for something, most telling first.
_REASON = re.compile(
    r"\s*(?:[:;—–]|\s-\s)?\s*\b(because|since|so that|so we|in order to|to avoid|to prevent|"
    r"as it|as they|which means|otherwise)\b\s*",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, and each bullet point as one; hard-wrapped lines (commit
    bodies wrap at 72 columns) are joined first."""
    found = []
    for unit in _units(text):
        found += [part.strip() for part in _SENTENCE_END.split(unit) if part.strip()]
    return found


def _units(text: str) -> list[str]:
    """Paragraphs and bullet points, each on one line."""
    units: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or _BULLET.match(line):
            if current:
                units.append(" ".join(current))
            current = [_BULLET.sub("", line).strip()] if stripped else []
        else:
            current.append(stripped)
    if current:
        units.append(" ".join(current))
    return [unit for unit in units if unit]


def bullets(text: str) -> list[str]:
    """The bulleted lines of ``text`` (``- x``, ``* x``, ``1. x``)."""
    return [_BULLET.sub("", line).strip() for line in text.splitlines() if _BULLET.match(line)]


def split_reason(text: str) -> tuple[str, str]:
    """("what", "why") when ``text`` states a reason with a word that introduces one
    ("because", "so that", "to avoid", ...); else (text, "")."""
    match = _REASON.search(text)
    if match and match.start() > 8:
        return text[: match.start()].strip(" ,;:—–-"), text[match.start() :].strip(" ,;:—–-")
    return text.strip(), ""


def clip(text: str, limit: int = TITLE_CHARS) -> str:
    """``text`` on one line, cut at a word boundary to ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:-") + "…"


def title_of(text: str) -> str:
    """The first sentence, capitalised, without a trailing full stop, clipped."""
    first = sentences(text)[0] if sentences(text) else text
    first = first.rstrip(".")
    return clip(first[:1].upper() + first[1:])


def split_rationale(text: str) -> tuple[str, str]:
    """("what", "why") when ``text`` gives a reason ("X because Y", "X: so that Y"), or a
    colon-separated explanation ("JWT over sessions: stateless API"); else (text, "")."""
    what, why = split_reason(text)
    if why:
        return what, why
    head, colon, tail = text.partition(": ")
    if colon and 3 <= len(head) <= 80 and tail:
        return head.strip(), tail.strip()
    return text.strip(), ""


def mentions(text: str, words: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in words)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
