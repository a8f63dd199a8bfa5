"""Window vectors composed from their events' vectors, with the bundled model."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from lore.config import Settings
from lore.domain import Event
from lore.providers.embeddings import build_embedder, normalised
from lore.recall.index import build_windows, event_vector_text, window_vectors
from tests.integration.test_providers_embeddings import Counting

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
    vectors = window_vectors(counting, events, windows)

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
