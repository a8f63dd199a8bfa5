"""Named recipes per recall mode, and how a query's mode is chosen.

A recipe says which kinds of node a mode returns and how much each kind weighs in the final
score. Every mode searches the same indexes the same way; only the weights differ, so a mode
guessed wrong costs a little ordering, never a missing result. Episode windows (``source``)
weigh a little less than items except in episodic mode: raw events are returned when they are
the best evidence, distilled items when those match about as well.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel

from lore.domain.graph import NodeKind
from lore.errors import ProviderError
from lore.recall.models import Mode

if TYPE_CHECKING:
    from lore.providers.llm import LLM

log = logging.getLogger("lore.recall")

RESULT_KINDS: tuple[NodeKind, ...] = ("semantic", "procedural", "episodic", "source")
ROUTING_KINDS: tuple[NodeKind, ...] = ("tag", "intent")
EVENT_KIND: NodeKind = "source"


@dataclass(frozen=True, slots=True)
class Recipe:
    mode: Mode
    kind_weight: Mapping[str, float]

    def kinds(self, include_events: bool | None) -> tuple[NodeKind, ...]:
        if include_events is False:
            return tuple(kind for kind in RESULT_KINDS if kind != EVENT_KIND)
        return RESULT_KINDS

    def weight(self, kind: str, include_events: bool | None) -> float:
        """Asking for events puts them level with the mode's best kind."""
        if kind == EVENT_KIND and include_events:
            return max(self.kind_weight.values())
        return self.kind_weight.get(kind, 1.0)


RECIPES: dict[Mode, Recipe] = {
    "semantic": Recipe(
        "semantic", {"semantic": 1.0, "procedural": 0.85, "episodic": 0.8, "source": 0.9}
    ),
    "procedural": Recipe(
        "procedural", {"procedural": 1.0, "semantic": 0.85, "episodic": 0.9, "source": 0.9}
    ),
    "episodic": Recipe(
        "episodic", {"episodic": 1.0, "source": 1.0, "semantic": 0.85, "procedural": 0.85}
    ),
    "mixed": Recipe("mixed", {"semantic": 1.0, "procedural": 1.0, "episodic": 0.9, "source": 0.95}),
}

# Cues, tried in this order: how-to questions, then questions about what is true and why, then
# questions about what happened. A query with none of them is mixed.
_CUES: tuple[tuple[Mode, re.Pattern[str]], ...] = (
    (
        "procedural",
        re.compile(
            r"\b(how (do|does|can|should|to|would)|steps? (to|for)|procedure|command to|"
            r"how (is|are) (\w+ ){1,3}(built|tested|released|deployed|installed|run|published)|"
            r"install|set ?up|configure|deploy|run the|fix(ing)?|workaround|recipe for)\b",
            re.I,
        ),
    ),
    (
        "semantic",
        re.compile(
            r"\b(what (is|are)|why|which|convention|decision|decided?|architecture|"
            r"prefer(red)?|policy|rule|where (is|are|do)|explain|describe)\b",
            re.I,
        ),
    ),
    (
        "episodic",
        re.compile(
            r"\b(when|what happened|last (time|session|week)|yesterday|earlier|ago|"
            r"did (i|we|you|they)|timeline|history of|session)\b",
            re.I,
        ),
    ),
)


def classify_heuristic(query: str) -> Mode:
    for mode, cue in _CUES:
        if cue.search(query):
            return mode
    return "mixed"


class QueryMode(BaseModel):
    """The structured reply of the ``classify_query`` step."""

    mode: Mode


CLASSIFY_PROMPT = (
    "Classify a question to a coding project's memory. Answer with one mode: "
    "semantic (facts, decisions, conventions, architecture), procedural (how to do something), "
    "episodic (what happened, when), or mixed."
)


def classify_query(query: str, llm: LLM | None = None) -> Mode:
    """The query's mode: by the LLM when one is given (the ``classify_query`` step), falling
    back to the cue words when it fails or none is configured."""
    if llm is None:
        return classify_heuristic(query)
    messages = [
        {"role": "system", "content": CLASSIFY_PROMPT},
        {"role": "user", "content": query},
    ]
    try:
        result = llm.structured(messages, QueryMode, step="classify_query")
    except ProviderError as exc:
        log.warning("classify_query failed, using cue words: %s", exc)
        return classify_heuristic(query)
    return result.value.mode


# Questions about the past ("when did", "what was", "originally") want the earlier record.
_ABOUT_THE_PAST = re.compile(
    r"\b(did|was|were|had|when|used to|before|originally|at first|first time|ago|"
    r"last (week|month|year|time)|in the past|history of|previous(ly)?)\b",
    re.I,
)


def asks_about_now(query: str) -> bool:
    """Whether a question is about how things are (so a later record of the same thing should
    come first), not about what was or when something happened."""
    return not _ABOUT_THE_PAST.search(query)


# Words with which a record says that something changed: it supersedes earlier ones. Plain
# "now", "since" and "new" are left out: a chat says them all the time.
_CHANGE = re.compile(
    r"\b(no longer|any ?more|no more|moved|switched|replaced|changed|renamed|"
    r"upgraded?|migrated|instead of|from (today|now) on|raised|lowered|is gone|decommissioned|"
    r"shut down|deprecated|went from|(is|are) now|now (is|are|\w+s))\b",
    re.I,
)


def says_it_changed(text: str) -> bool:
    return bool(_CHANGE.search(text))
