"""Ask: an LLM answers a question from the memories recall finds, citing them by number.

Only with an LLM configured; recall itself never needs one. The memories are given to the
model numbered ``[1]``, ``[2]``...; the answer's citations are the memories it cited, in order
of first citation, renumbered so that ``[n]`` in the returned text is ``citations[n - 1]``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lore.providers.llm import LLM
from lore.recall.models import Answer, Hit
from lore.recall.tokens import clip

SOURCE_CHARS = 1200
STEP = "summarize"
SYSTEM = (
    "You answer questions about a software project from its memory: decisions, conventions,"
    " procedures, facts and raw events captured while people and agents worked on it."
    " Use only the numbered memories given. Cite every claim with the number of the memory"
    " it comes from, like [1] or [2][3]. If the memories do not hold the answer, say so in"
    " one sentence. Be brief."
)
_CITATION = re.compile(r"\[(\d+)\]")


def ask(llm: LLM, question: str, hits: Sequence[Hit]) -> Answer:
    if not hits:
        return Answer(
            question=question,
            text="Nothing in this project's memory matches the question.",
            citations=[],
            model="",
        )
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": _prompt(question, hits)},
    ]
    reply = llm.chat(messages, step=STEP)
    text, cited = renumber(reply.content.strip(), hits)
    return Answer(question=question, text=text, citations=cited, model=reply.model)


def renumber(text: str, hits: Sequence[Hit]) -> tuple[str, list[Hit]]:
    """The answer with citations renumbered by first use, and the hits they name; numbers
    that name no memory are dropped from the text."""
    order: dict[int, int] = {}

    def replace(match: re.Match[str]) -> str:
        given = int(match.group(1))
        if not 1 <= given <= len(hits):
            return ""
        order.setdefault(given, len(order) + 1)
        return f"[{order[given]}]"

    renumbered = _CITATION.sub(replace, text)
    return renumbered, [hits[given - 1] for given in order]


def _prompt(question: str, hits: Sequence[Hit]) -> str:
    sources = [
        f"[{number}] {_label(hit)}\n{clip(hit.text, SOURCE_CHARS)}"
        for number, hit in enumerate(hits, start=1)
    ]
    return "Memories:\n\n" + "\n\n".join(sources) + f"\n\nQuestion: {question}"


def _label(hit: Hit) -> str:
    kind = hit.type or ("events" if hit.kind == "source" else hit.kind)
    return f"{hit.title} ({kind})"
