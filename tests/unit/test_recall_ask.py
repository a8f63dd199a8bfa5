"""Citations of an answer: renumbered by first use, pointing at the hits they name."""

from __future__ import annotations

from lore.recall.ask import renumber
from lore.recall.models import Hit


def hit(node_id: int) -> Hit:
    return Hit(
        id=node_id, kind="semantic", type="decision", title=f"item {node_id}", text="", score=1.0,
        relevance=0.5, schema_key=None, files=[], tags=[], event_ids=[], status="approved",
        confidence=0.9, session_id=None, created_at=0.0, channels=[],
    )  # fmt: skip


def test_citations_are_renumbered_in_order_of_first_use() -> None:
    hits = [hit(10), hit(20), hit(30)]
    text, cited = renumber("We use WAL [3]. It was decided early [1][3].", hits)
    assert text == "We use WAL [1]. It was decided early [2][1]."
    assert [h.id for h in cited] == [30, 10]


def test_numbers_that_name_no_memory_are_dropped() -> None:
    text, cited = renumber("See [7] and [2].", [hit(1), hit(2)])
    assert text == "See  and [1]."
    assert [h.id for h in cited] == [2]
