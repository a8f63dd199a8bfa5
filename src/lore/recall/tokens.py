"""Token budgets for what recall writes: a true count, and text cut to fit.

Tokens are counted by the tokenizer of the bundled embedding model (all-MiniLM-L6-v2's
WordPiece, shipped with lore: nothing is downloaded), without special tokens: one counter for
the brain, context packs, session-start context and every result's cost. On prose it counts
about as hosted models' tokenizers do; on code and paths it counts more than the four
characters a token the estimate used to assume (issue 23: about half as much again), so a
budget holds.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

TOKENIZER = ("resources", "all-MiniLM-L6-v2", "tokenizer.json")


def count_tokens(text: str) -> int:
    """How many tokens ``text`` is."""
    if not text:
        return 0
    return len(_tokenizer().encode(text, add_special_tokens=False).ids)


def cut_to_tokens(text: str, max_tokens: int, marker: str = " …") -> str:
    """``text`` cut after the token that leaves room for ``marker`` within ``max_tokens``
    (the whole text when it fits)."""
    encoding = _tokenizer().encode(text, add_special_tokens=False)
    if len(encoding.ids) <= max_tokens:
        return text
    room = max(max_tokens - count_tokens(marker), 0)
    end = encoding.offsets[room - 1][1] if room else 0
    return text[:end].rstrip() + marker


@functools.cache
def _tokenizer() -> Any:
    from tokenizers import Tokenizer

    path = resources.files("lore").joinpath(*TOKENIZER)
    tokenizer = Tokenizer.from_str(path.read_text(encoding="utf-8"))
    tokenizer.no_padding()  # the file pads and truncates for the model; a count takes it whole
    tokenizer.no_truncation()
    return tokenizer


def clip(text: str, max_chars: int) -> str:
    """One line of at most ``max_chars`` characters, cut at a word when it is too long."""
    flat = " ".join(text.split())
    if len(flat) <= max_chars:
        return flat
    cut = flat[: max_chars - 1]
    space = cut.rfind(" ")
    if flat[max_chars - 1] != " " and space > max_chars // 2:
        cut = cut[:space]  # the cut fell inside a word
    return cut.rstrip() + "…"


class Budget:
    """Lines added while they fit in ``tokens``; a line that does not fit is left out (later,
    shorter lines may still fit)."""

    def __init__(self, tokens: int) -> None:
        self.tokens = tokens
        self.used = 0
        self.lines: list[str] = []

    def add(self, line: str) -> bool:
        cost = count_tokens(line + "\n")
        if self.used + cost > self.tokens:
            return False
        self.lines.append(line)
        self.used += cost
        return True

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
