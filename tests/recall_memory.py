"""Helpers for recall tests: memory items committed through the graph and embedded with the real
local model, and chat sessions captured and indexed as the pipeline's Embed stage does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lore import Lore
from lore.domain import EventIn, Project
from lore.domain.graph import Changeset, LinkDraft, NodeDraft
from lore.recall import index_events, index_nodes


def item(ref: str, title: str, body: str = "", **fields: Any) -> NodeDraft:
    fields.setdefault("kind", "semantic")
    fields.setdefault("type", "implementation")
    fields.setdefault("status", "approved")
    fields.setdefault("confidence", 0.9)
    return NodeDraft(ref=ref, title=title, body=body, **fields)


def two_items() -> list[NodeDraft]:
    """A decision and a convention, for the tests of the surfaces."""
    return [
        item(
            "wal",
            "SQLite runs in WAL mode",
            "Every connection sets journal_mode=WAL so readers never wait for the writer.",
            type="decision",
            schema_key="root/store/sqlite",
            files=["src/lore/store/sqlite/db.py"],
        ),
        item(
            "ruff",
            "Lint with ruff before committing",
            "Run ruff check and ruff format; E501 is ignored.",
            type="convention",
            schema_key="root/tooling",
        ),
    ]


def add_items(
    lore: Lore,
    project: Project,
    drafts: Sequence[NodeDraft],
    links: Sequence[LinkDraft] = (),
) -> dict[str, int]:
    """Commit the drafts (and links) as one changeset, embed them; returns ref -> node id."""
    session = lore.store.sessions.create(project.id, "test")
    changeset = Changeset(session_id=session.id, nodes=list(drafts), links=list(links))
    applied = lore.store.graph.apply(project.id, changeset)
    index_nodes(lore.store, lore.recall_service.embedder, lore.project(project.id))
    return applied.ids


def chat(
    lore: Lore,
    project: Project,
    turns: Sequence[tuple[str, str]],
    day: str = "2024-03-05",
    *,
    close: bool = True,
) -> list[int]:
    """A chat session of ``turns`` (speaker, text), indexed into windows; event ids."""
    session = lore.store.sessions.create(project.id, "chat")
    start = datetime.fromisoformat(day).timestamp()
    result = lore.capture_events(
        [
            EventIn(
                source="chat",
                type="message",
                payload={"speaker": speaker, "text": text},
                session_id=session.id,
                occurred_at=start + index,
            )
            for index, (speaker, text) in enumerate(turns)
        ],
        project=project,
    )
    if close:
        lore.close(session.id)
    index_events(lore.store, lore.recall_service.embedder, lore.project(project.id), session.id)
    return result.event_ids
