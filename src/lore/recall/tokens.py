"""Token budgets for what recall writes: an estimate, and text cut to fit.

The estimate is four characters a token, the usual figure for English under the tokenizers of
hosted models (code runs a little denser); budgets are set with that margin in mind, and no
tokenizer has to be loaded to build a brain.
"""

from __future__ import annotations

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


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
        cost = estimate_tokens(line + "\n")
        if self.used + cost > self.tokens:
            return False
        self.lines.append(line)
        self.used += cost
        return True

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
