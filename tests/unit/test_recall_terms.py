"""Query alternatives and which of them the lexical budget affords."""

from __future__ import annotations

from lore.recall.text import (
    affordable,
    fts_alternatives,
    fts_match_query,
    match_expression,
    words,
)


def test_alternatives_are_identifiers_then_terms_once_each() -> None:
    assert fts_alternatives("Where is build_embedder in src/lore/config.py?") == [
        "build_embedder",
        "src/lore/config.py",
        "build",
        "embedder",
        "src",
        "lore",
        "config",
        "py",
    ]


def test_match_expression_quotes_every_alternative() -> None:
    assert match_expression(['say "hi"', "NEAR"]) == '"say ""hi""" OR "NEAR"'
    assert match_expression([]) is None
    assert fts_match_query("the of") is None


def test_affordable_keeps_the_rarest_terms_within_the_budget() -> None:
    kept = affordable(["common", "rare", "medium", "absent"], [9000, 10, 500, 0], budget=1000)
    assert kept == ["rare", "medium"]


def test_a_term_matching_more_than_the_budget_alone_is_left_out() -> None:
    assert affordable(["everywhere", "often"], [50_000, 20_000], budget=100) == []
    assert affordable(["everywhere", "rare"], [50_000, 20], budget=100) == ["rare"]


def test_nothing_is_kept_when_no_node_holds_any_term() -> None:
    assert affordable(["ghost"], [0], budget=100) == []


def test_words_of_a_phrase() -> None:
    assert words("src/lore/Config.py") == ["src", "lore", "config", "py"]
    assert words("useState") == ["usestate"]
