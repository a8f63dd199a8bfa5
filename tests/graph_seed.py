"""Memory items put straight into the graph, as enrichment would leave them, for tests that
read memory back (recall, MCP tools, hooks)."""

from __future__ import annotations

from collections.abc import Sequence

from lore import Lore
from lore.domain import Project
from lore.domain.graph import Changeset, NodeDraft


def apply_items(lore: Lore, project: Project, drafts: Sequence[NodeDraft]) -> list[int]:
    """Store ``drafts`` through a changeset of a new capture session; their ids, in order."""
    session = lore.capture_event("test", "note", {"text": "seed"}, project=project).session_ids[0]
    applied = lore.store.graph.apply(project.id, Changeset(session_id=session, nodes=list(drafts)))
    return [applied.ids[draft.ref] for draft in drafts]
