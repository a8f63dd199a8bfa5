"""The Enrich call: a chunk of events in, memory items out, each quoting its evidence.

One call per chunk of events (``pipeline.chunk_size``, 10 by default). The offline extractor
returns the same ``ExtractedItem`` shape, so both go through one conversion and one quote check.
Bump ``PROMPT_VERSION`` whenever the prompt or the schema changes: it is stored on every item made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from lore.domain import Event
from lore.domain.graph import ItemType
from lore.extraction.events_text import event_block

PROMPT_VERSION = "enrich/1"
# The providers' step this call is accounted (and routed to a model) under.
LLM_STEP = "extract_semantic"


class EvidenceRef(BaseModel):
    event_id: int = Field(description="id of the event the quote comes from")
    quote: str = Field(description="words copied exactly from that event, 3 to 30 words")


class ExtractedItem(BaseModel):
    """One memory item, as the model (or the offline extractor) proposes it."""

    type: ItemType
    kind: Literal["fact", "procedure"] = Field(
        default="fact", description="procedure: a how-to (steps, a command that works)"
    )
    title: str = Field(description="one line, at most 90 characters, specific")
    facts: list[str] = Field(description="short, self-contained statements true to the events")
    rationale: str = Field(default="", description="why, when the events say so; else empty")
    files: list[str] = Field(default_factory=list, description="repository paths concerned")
    schema_key: str = Field(
        default="", description="where it belongs: root/<area>/<topic>, e.g. root/backend/auth"
    )
    confidence: float = Field(ge=0.0, le=1.0)
    importance: float = Field(default=0.5, ge=0.0, le=1.0)
    tags: list[str] = Field(default_factory=list)
    dedup_hint: str = Field(
        default="", description="a short stable key naming the subject, e.g. auth-token-format"
    )
    evidence: list[EvidenceRef]
    # Procedures only: what to do, when, and what should happen.
    instruction: str = ""
    condition: str = ""
    expected_outcome: str = ""
    commit: str | None = None


class EnrichResponse(BaseModel):
    items: list[ExtractedItem]


SYSTEM = """You turn a coding session's events into memory items for the developers and AI
agents who will work on this repository later. Keep only knowledge worth remembering:
architecture, conventions, implementation details, decisions (with their rationale), bugs (cause
and fix) and things left to do. Skip chatter, routine edits and anything not supported by the
events.

Rules:
- Every item cites evidence: the id of an event and a quote copied exactly (3 to 30 words) from
  that event. Items whose quotes are not found in the events are thrown away.
- type is one of architecture, convention, implementation, decision, bug, todo.
- A failing command followed by one that works is a procedure (kind "procedure", with
  instruction, condition and expected_outcome). A user correcting the agent ("don't ...",
  "we use ...", "instead of ...") is a convention.
- facts are short statements a reader can trust without the events. Name files, functions,
  commands and values precisely.
- schema_key places the item: root/<area>/<topic> in lowercase, from its files or subject.
- confidence: how sure the events make it (0..1); importance: how much it matters later (0..1).
- Return {"items": []} when nothing is worth remembering."""


def messages(
    events: Sequence[Event], *, evidence_max_chars: int, diff_max_chars: int
) -> list[dict[str, str]]:
    """The chat messages of one chunk: the rules, then the events as delimited blocks."""
    blocks = "\n\n".join(
        event_block(event, evidence_max_chars=evidence_max_chars, diff_max_chars=diff_max_chars)
        for event in events
    )
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Events of the session, oldest first:\n\n{blocks}"},
    ]
