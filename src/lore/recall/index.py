"""Building what recall searches: episode windows over raw events, and vectors for nodes.

An **episode window** is one event with its neighbours in the same session (radius 1: the
previous event, itself and the next), indexed as one ``source`` node whose provenance is all
of those events. Windows are what raw-event recall retrieves: an answer turn is found through
the question asked just before it, and a window carries the date of its session
(``docs/retrieval.md`` has the measurements). The Embed stage of the pipeline calls
:func:`index_events` for the events a job enriched and :func:`index_nodes` for nodes still
without a vector; both are idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lore.domain import Event, Project
from lore.domain.graph import NodeKind
from lore.extraction.events_text import event_text
from lore.providers.embeddings import Embedder, embedding_text, ensure_project_embedding
from lore.recall.text import date_label, window_span, window_text
from lore.store.base import Store, WindowDraft

# Payload fields that name who spoke, and fields that hold what was said, in order of preference.
SPEAKER_FIELDS = ("speaker", "role", "actor", "author", "user")
TEXT_FIELDS = ("text", "content", "message", "summary")
EMBED_BATCH = 256
# Kinds that get a vector: what recall returns, and the routing nodes graph expansion starts at.
EMBEDDED_KINDS: tuple[NodeKind, ...] = (
    "semantic",
    "procedural",
    "episodic",
    "source",
    "tag",
    "intent",
)


@dataclass(frozen=True, slots=True)
class IndexResult:
    windows: int
    vectors: int


def event_line(event: Event, max_chars: int) -> tuple[str, str]:
    """(speaker, text) of an event as a window shows it: a chat turn's speaker and words, or
    the event's source and its payload as ``key: value`` lines, cut to ``max_chars``."""
    payload = event.payload
    speaker = next(
        (str(payload[name]) for name in SPEAKER_FIELDS if isinstance(payload.get(name), str)),
        event.source,
    )
    text = next((payload[name] for name in TEXT_FIELDS if isinstance(payload.get(name), str)), None)
    if text is None:
        text = event_text(event).replace("\n", "; ")
    text = " ".join(text.split())
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return speaker, text


def event_day(event: Event) -> str:
    return date_label(event.occurred_at or event.created_at)


def build_windows(
    events: Sequence[Event], centres: Sequence[int], *, radius: int, max_chars: int
) -> list[WindowDraft]:
    """The windows centred on positions ``centres`` of a session's ``events`` (in order)."""
    drafts = []
    for centre in centres:
        span = window_span(len(events), centre, radius)
        middle = events[centre]
        lines = [event_line(events[index], max_chars) for index in span]
        drafts.append(
            WindowDraft(
                centre_event_id=middle.id,
                event_ids=tuple(events[index].id for index in span),
                text=window_text(event_day(middle), lines),
                date=event_day(middle),
                happened_at=middle.occurred_at or middle.created_at,
            )
        )
    return drafts


def index_events(
    store: Store,
    embedder: Embedder,
    project: Project,
    session_id: int,
    event_ids: Sequence[int] | None = None,
    *,
    radius: int = 1,
    max_chars: int = 1500,
) -> IndexResult:
    """Create or refresh the windows of a session that contain ``event_ids`` (all its events
    when None), with their vectors. A new event also changes the windows of its neighbours,
    which are rebuilt; windows whose text did not change are left alone."""
    events = store.events.for_session(session_id)
    if not events:
        return IndexResult(0, 0)
    ensure_project_embedding(store, project, embedder)
    centres = _affected_centres(events, event_ids, radius)
    stored = store.search.session_windows(session_id)
    drafts = [
        draft
        for draft in build_windows(events, centres, radius=radius, max_chars=max_chars)
        if stored.get(draft.centre_event_id, (0, None))[1] != draft.text
    ]
    if not drafts:
        return IndexResult(0, 0)
    node_ids = store.search.put_windows(project.id, session_id, drafts)
    for start in range(0, len(drafts), EMBED_BATCH):
        batch = drafts[start : start + EMBED_BATCH]
        vectors = embedder.embed([draft.text for draft in batch])
        store.vectors.put(embedder.model, node_ids[start : start + EMBED_BATCH], vectors)
    return IndexResult(len(drafts), len(drafts))


def index_nodes(
    store: Store,
    embedder: Embedder,
    project: Project,
    kinds: Sequence[NodeKind] = EMBEDDED_KINDS,
) -> int:
    """Embed every node of ``kinds`` that has no vector of the project's model yet; returns how
    many. Items committed with their vectors (the Embed stage's) are skipped."""
    project = ensure_project_embedding(store, project, embedder)
    done = 0
    while rows := store.search.unembedded(project.id, embedder.model, kinds, limit=EMBED_BATCH):
        vectors = embedder.embed([embedding_text(row.title, row.body) for row in rows])
        store.vectors.put(embedder.model, [row.id for row in rows], vectors)
        done += len(rows)
    return done


def _affected_centres(
    events: Sequence[Event], event_ids: Sequence[int] | None, radius: int
) -> list[int]:
    if event_ids is None:
        return list(range(len(events)))
    position = {event.id: index for index, event in enumerate(events)}
    touched = [position[event_id] for event_id in event_ids if event_id in position]
    centres = {centre for index in touched for centre in window_span(len(events), index, radius)}
    return sorted(centres)
