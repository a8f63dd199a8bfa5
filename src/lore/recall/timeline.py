"""A timeline: the captured events around an item, a session or a moment, in time order, one
line each with what it costs to read. It is the middle step of reading memory a little at a
time: a compact index of hits first, then the timeline around the one that matters, then that
item in full with its evidence (``get_item``).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from lore.domain import Event
from lore.errors import ValidationError
from lore.recall.index import event_line
from lore.recall.tokens import count_tokens
from lore.store.base import Store

# What one line shows of an event: a chat turn, the head of a commit or a tool call.
LINE_CHARS = 300
MAX_SIZE = 200


class TimelineEntry(BaseModel):
    event_id: int
    session_id: int
    at: float
    source: str
    type: str
    line: str
    tokens: int
    # The event the timeline is around (the item's first evidence, or the one nearest the time).
    anchor: bool = False


def timeline(
    store: Store,
    project_id: int,
    *,
    item_id: int | None = None,
    session_id: int | None = None,
    around: float | None = None,
    size: int = 10,
) -> list[TimelineEntry]:
    """``size`` events around one item's evidence, the last ``size`` of a session, or the
    ``size`` nearest a time (exactly one of the three is given)."""
    given = [
        name
        for name, value in (("item", item_id), ("session", session_id), ("around", around))
        if value is not None
    ]
    if len(given) != 1:
        raise ValidationError("give one of item, session or around", "item")
    if not 1 <= size <= MAX_SIZE:
        raise ValidationError(f"size must be within 1..{MAX_SIZE}", "size")
    if item_id is not None:
        return _around_item(store, item_id, size)
    if session_id is not None:
        return _entries(store.events.for_session(session_id)[-size:], anchor=None)
    assert around is not None
    events = store.events.around(project_id, around, (size + 1) // 2)
    nearest = min(events, key=lambda event: abs(_time(event) - around), default=None)
    return _entries(events, anchor=nearest.id if nearest else None)


def _around_item(store: Store, item_id: int, size: int) -> list[TimelineEntry]:
    cited = store.events.get_many([evidence.event_id for evidence in store.graph.evidence(item_id)])
    if not cited:
        return []
    first = min(cited.values(), key=_time)
    events = store.events.for_session(first.session_id)
    position = next(index for index, event in enumerate(events) if event.id == first.id)
    start = max(0, position - size // 2)
    return _entries(events[start : start + size], anchor=first.id)


def _entries(events: Sequence[Event], anchor: int | None) -> list[TimelineEntry]:
    entries = []
    for event in events:
        speaker, text = event_line(event, LINE_CHARS)
        line = f"{speaker}: {text}"
        entries.append(
            TimelineEntry(
                event_id=event.id,
                session_id=event.session_id,
                at=_time(event),
                source=event.source,
                type=event.type,
                line=line,
                tokens=count_tokens(line),
                anchor=event.id == anchor,
            )
        )
    return entries


def _time(event: Event) -> float:
    return event.occurred_at or event.created_at
