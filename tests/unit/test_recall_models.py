"""What a set of hits says about itself: whether any is a good match, and why each was found."""

from __future__ import annotations

from lore.recall.models import Hit, good_match, matched_by


def hit(channels: list[str], relevance: float) -> Hit:
    return Hit(
        id=1, kind="semantic", type="decision", title="t", text="x", score=0.5,
        relevance=relevance, schema_key=None, files=[], tags=[], event_ids=[], status=None,
        confidence=None, session_id=None, created_at=0.0, channels=channels,
    )  # fmt: skip


def test_a_word_or_a_close_meaning_is_a_good_match() -> None:
    assert good_match([hit(["dense"], 0.2), hit(["lexical", "dense"], 0.1)], floor=0.3)
    assert good_match([hit(["identifier"], 0.0)], floor=0.3)
    assert good_match([hit(["dense"], 0.31)], floor=0.3)


def test_only_weak_neighbours_in_meaning_are_no_good_match() -> None:
    assert not good_match([hit(["dense"], 0.23), hit(["dense", "graph"], 0.29)], floor=0.3)
    assert not good_match([], floor=0.3)


def test_why_a_hit_was_found_reads_in_plain_words() -> None:
    assert matched_by(hit(["dense", "lexical", "graph"], 0.5)) == ["meaning", "words", "graph"]
    assert matched_by(hit(["substring", "identifier"], 0.5)) == ["identifier"]
