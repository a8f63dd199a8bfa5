"""Window vectors composed from their events' vectors, with the bundled model, and stored with
their windows in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pytest

from lore import Lore
from lore.config import Settings
from lore.domain import Event, Project
from lore.providers.embeddings import build_embedder, normalised
from lore.recall.index import (
    build_windows,
    compose,
    embed_events,
    event_vector_text,
    index_events,
)
from lore.recall.reembed import reembed
from tests.integration.test_providers_embeddings import Counting, add_node

DAY = datetime(2023, 5, 8, 13, 56).timestamp()
TURNS = [
    ("Mel", "How was the support group?"),
    ("Caroline", "Great! I met other trans women there."),
    ("Mel", "Did you go to the pottery class after?"),
    ("Caroline", "Yes, I made a bowl."),
]


def turn(index: int, speaker: str, text: str) -> Event:
    return Event(
        id=index, project_id=1, session_id=1, episode_id=None, source="chat", type="message",
        payload={"speaker": speaker, "text": text}, content_hash=str(index), idempotency_key=None,
        created_at=DAY, occurred_at=DAY + index, enriched_job_id=None,
    )  # fmt: skip


def test_a_window_vector_sums_its_events_by_length_each_embedded_once() -> None:
    local = build_embedder(Settings())
    counting = Counting(local)  # type: ignore[arg-type]
    events = [turn(index, *pair) for index, pair in enumerate(TURNS)]
    windows = build_windows(events, [0, 1, 2, 3], radius=1, max_chars=500)
    vectors = compose(windows, embed_events(counting, events, windows))

    texts = [event_vector_text(event) for event in events]
    assert counting.calls == [texts]  # four events, one call, each once
    assert texts[1] == "Caroline (8 May 2023): Great! I met other trans women there."
    lengths = np.array([[len(text)] for text in texts[0:3]], dtype=np.float32)
    weighted = (local.embed(texts[0:3]) * lengths).sum(axis=0, keepdims=True)
    assert np.allclose(vectors[1], normalised(weighted)[0], atol=1e-6)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    # The window matches a question about what it holds better than its neighbours do.
    query = local.embed(["What did Caroline make at pottery?"])[0]
    assert int(np.argmax(vectors @ query)) in (2, 3)


class Dying(Counting):
    """The local model, killed (an exception here) on its first call."""

    def embed(self, texts: Any) -> Any:
        if not self.calls:
            self.calls.append(list(texts))
            raise SystemExit("killed inside Embed")
        return super().embed(texts)


def chat(lore: Lore, project: Project) -> int:
    events = [
        {"source": "chat", "type": "message", "payload": {"speaker": s, "text": t}}
        for s, t in TURNS
    ]
    return lore.capture_events(events, project=project).session_ids[0]


def test_windows_are_stored_with_their_vectors_or_not_at_all(lore: Lore, project: Project) -> None:
    session_id = chat(lore, project)
    dying = Dying(build_embedder(Settings()))  # type: ignore[arg-type]
    with pytest.raises(SystemExit):
        index_events(lore.store, dying, project, session_id)  # type: ignore[arg-type]
    assert lore.store.search.session_windows(session_id) == {}  # no window without a vector

    assert index_events(lore.store, dying, project, session_id).windows == 4  # type: ignore[arg-type]
    windows = lore.store.search.session_windows(session_id)
    assert len(lore.store.vectors.get([node for node, _ in windows.values()])) == 4


def test_a_window_left_without_a_vector_is_mended_by_the_next_run(
    lore: Lore, project: Project
) -> None:
    session_id = chat(lore, project)
    embedder = Counting(build_embedder(Settings()))  # type: ignore[arg-type]
    index_events(lore.store, embedder, project, session_id)  # type: ignore[arg-type]
    windows = lore.store.search.session_windows(session_id)
    lost = next(iter(windows.values()))[0]
    lore.store.vectors.delete([lost])  # what a process killed by an older version left

    again = index_events(lore.store, embedder, project, session_id)  # type: ignore[arg-type]
    assert again.windows == 1  # only the window without a vector
    assert lost in lore.store.vectors.get([lost])


def test_an_answer_leads_with_the_event_that_matches_and_repeats_none(
    lore: Lore, project: Project
) -> None:
    session_id = chat(lore, project)
    index_events(lore.store, build_embedder(Settings()), project, session_id)
    hits = lore.recall(project, "Who made a bowl?", limit=5)
    windows = [hit for hit in hits if hit.kind == "source"]
    bowl = lore.store.events.for_session(session_id)[3]  # "Yes, I made a bowl."
    assert windows[0].event_ids[0] == bowl.id  # not the window's first event in time
    assert windows[0].text.split(") ", 1)[1].startswith("Caroline: Yes, I made a bowl.")
    shown = [event_id for hit in windows for event_id in hit.event_ids]
    assert len(shown) == len(set(shown)) == len(TURNS)  # every event once in the answer


def test_reembed_composes_the_windows_anew_with_their_events_vectors(
    lore: Lore, project: Project
) -> None:
    session_id = chat(lore, project)
    local = build_embedder(Settings())
    index_events(lore.store, local, project, session_id)
    item = add_node(lore.store, project.id, "semantic", "Caroline made a bowl", "At pottery.")  # type: ignore[arg-type]
    lore.store.vectors.put("old-model", [item], np.ones((1, local.dim), np.float32))
    with lore.store.db.write() as conn:  # type: ignore[attr-defined]
        conn.execute("UPDATE embeddings SET model = 'old-model'")
        conn.execute("UPDATE event_vectors SET model = 'old-model'")
    lore.store.projects.set_embedding_model(project.id, "old-model", local.dim)
    counting = Counting(local)  # type: ignore[arg-type]

    result = reembed(lore.store, project.id, counting)  # type: ignore[arg-type]

    assert (result.nodes, result.windows) == (1, 4)
    events = lore.store.events.for_session(session_id)
    # The item from its text, then each event once: no window text goes to the model.
    assert counting.calls == [
        ["Caroline made a bowl\nAt pottery."],
        [event_vector_text(e) for e in events],
    ]
    assert len(lore.store.vectors.of_events([e.id for e in events], local.model)) == 4
    windows = lore.store.search.session_windows(session_id)
    assert len(lore.store.vectors.get([n for n, _ in windows.values()], model=local.model)) == 4
    assert lore.store.projects.get(project.id).embedding_model == local.model
