"""Small text helpers of the offline extractor: sentences, titles and rationales."""

from __future__ import annotations

import re

TITLE_CHARS = 90
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(])|\n+")
# Phrases that introduce the reason for something, most telling first.
_REASON = re.compile(
    r"\s*(?:[:;—–]|\s-\s)?\s*\b(because|since|so that|so we|in order to|to avoid|to prevent|"
    r"as it|as they|which means|otherwise)\b\s*",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def sentences(text: str) -> list[str]:
    """Sentences and lines of ``text``, stripped, bullets removed, empty ones dropped."""
    parts = _SENTENCE_END.split(text.strip())
    return [_BULLET.sub("", part).strip() for part in parts if part and part.strip()]


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
