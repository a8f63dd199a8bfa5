"""What recall hands back: hits, the brain, context packs and answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, computed_field

from lore.domain.graph import NodeKind
from lore.recall.tokens import clip, count_tokens

Mode = Literal["semantic", "procedural", "episodic", "mixed"]
MODES: tuple[Mode, ...] = ("semantic", "procedural", "episodic", "mixed")
Scope = Literal["relevant", "full", "minimal"]
SCOPES: tuple[Scope, ...] = ("relevant", "full", "minimal")
# A compact index shows this much of each hit's text, on one line.
INDEX_CHARS = 160
# The channels that found a hit by the query's own words or identifiers.
WORD_CHANNELS = frozenset({"lexical", "substring", "identifier"})
# What each channel means to a reader of the results.
MATCHED_BY = {
    "lexical": "words",
    "substring": "identifier",
    "identifier": "identifier",
    "dense": "meaning",
    "graph": "graph",
}


def good_match(hits: Sequence[Hit], floor: float) -> bool:
    """Whether ``hits`` hold a match worth reading: one found by the query's words or
    identifiers, or one at least ``floor`` similar in meaning. Gibberish and questions the
    memory knows nothing of find only weak neighbours in meaning (LoCoMo dev's questions: every
    one has a word match; made-up words: cosine 0.23 at best)."""
    return any(WORD_CHANNELS.intersection(hit.channels) or hit.relevance >= floor for hit in hits)


def matched_by(hit: Hit) -> list[str]:
    """Why the hit was found, in a reader's words: words, identifier, meaning, graph."""
    return list(dict.fromkeys(MATCHED_BY[c] for c in hit.channels if c in MATCHED_BY))


class Hit(BaseModel):
    """One recalled memory: an item, a step, or a window of raw events (``kind`` ``source``).

    ``score`` ranks (fused relevance x value x kind weight); ``relevance`` is the raw cosine
    similarity to the query, which thresholds gate on. ``event_ids`` is the provenance: the
    captured events the memory was built from.
    """

    model_config = ConfigDict(frozen=True)

    id: int
    kind: NodeKind
    type: str | None
    title: str
    text: str
    score: float
    relevance: float
    schema_key: str | None
    files: list[str]
    tags: list[str]
    event_ids: list[int]
    status: str | None
    confidence: float | None
    session_id: int | None
    created_at: float
    channels: list[str]
    # Set when the text was cut to fit a token budget: what reading the whole would cost.
    full_tokens: int | None = None

    def indexed(self) -> Hit:
        """The hit as a compact index shows it: its text cut to one line, ``full_tokens`` what
        the whole costs (``get_item`` or ``timeline`` read more)."""
        line = clip(self.text, INDEX_CHARS)
        if line == self.text:
            return self
        return self.model_copy(
            update={"text": line, "full_tokens": self.full_tokens or self.tokens}
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tokens(self) -> int:
        """What reading the hit costs an agent (its text, else its title), counted when it is
        sent or asked for."""
        return count_tokens(self.text or self.title)


@dataclass(frozen=True, slots=True)
class RecallRequest:
    """One recall, as ``Lore.recall`` receives it (see its docstring for each field)."""

    query: str
    mode: Mode | None = None
    limit: int = 10
    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    schema_key: str | None = None
    tags: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    since: float | None = None
    until: float | None = None
    min_similarity: float | None = None
    # A token budget the results fill, best first (``limit`` does not apply then).
    max_tokens: int | None = None
    active_files: tuple[str, ...] = ()
    include_events: bool | None = None
    record_access: bool = True


class BrainLayer(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    markdown: str
    tokens: int
    budget: int
    items: list[int]


class Brain(BaseModel):
    """The project's memory as one markdown document: L0 brief, L1 active knowledge and (when
    not compact) L2 reference. ``etag`` changes exactly when the document would."""

    model_config = ConfigDict(frozen=True)

    project: str
    markdown: str
    etag: str
    tokens: int
    layers: list[BrainLayer]
    archived: int


class ContextPack(BaseModel):
    """The brief plus the memories relevant to a task, grouped by schema key, within a budget."""

    model_config = ConfigDict(frozen=True)

    project: str
    task: str
    scope: Scope
    markdown: str
    tokens: int
    budget: int
    hits: list[Hit]


class Answer(BaseModel):
    """An LLM's answer to a question over the project's memory; ``[n]`` in ``text`` cites
    ``citations[n - 1]``."""

    model_config = ConfigDict(frozen=True)

    question: str
    text: str
    citations: list[Hit]
    model: str
