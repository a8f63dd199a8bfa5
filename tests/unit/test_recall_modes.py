"""Modes: cue-word classification and the recipes' kinds and weights."""

from __future__ import annotations

import pytest

from lore.recall.modes import RECIPES, RESULT_KINDS, classify_heuristic, classify_query


@pytest.mark.parametrize(
    ("query", "mode"),
    [
        ("how do I run the migrations?", "procedural"),
        ("steps to deploy the worker", "procedural"),
        ("how is the documentation built?", "procedural"),
        ("fix the flaky login test", "procedural"),
        ("when did we switch to uv?", "episodic"),
        ("what happened in the last session", "episodic"),
        ("why did we choose SQLite", "semantic"),
        ("what is the naming convention for handlers", "semantic"),
        ("src/lore/config.py", "mixed"),
        ("rate limiting", "mixed"),
    ],
)
def test_cue_words_pick_the_mode(query: str, mode: str) -> None:
    assert classify_heuristic(query) == mode


def test_without_an_llm_the_cue_words_decide() -> None:
    assert classify_query("how to build the docs") == "procedural"


def test_every_mode_searches_every_result_kind_unless_events_are_left_out() -> None:
    for recipe in RECIPES.values():
        assert recipe.kinds(None) == RESULT_KINDS
        assert recipe.kinds(True) == RESULT_KINDS
        assert "source" not in recipe.kinds(False)


def test_each_mode_weighs_its_own_kind_highest() -> None:
    assert RECIPES["semantic"].weight("semantic", None) > RECIPES["semantic"].weight("source", None)
    assert RECIPES["procedural"].weight("procedural", None) == 1.0
    assert RECIPES["episodic"].weight("source", None) == 1.0


def test_asking_for_events_puts_them_level_with_the_best_kind() -> None:
    recipe = RECIPES["semantic"]
    assert recipe.weight("source", True) == recipe.weight("semantic", True) == 1.0


def test_questions_about_now_and_records_that_say_something_changed() -> None:
    from lore.recall.modes import asks_about_now, says_it_changed

    assert asks_about_now("Which Postgres version does the API run on?")
    assert not asks_about_now("When did Caroline go to the support group?")
    assert not asks_about_now("What was the page size before the change?")
    assert says_it_changed("We moved CI from Travis to GitHub Actions this week")
    assert says_it_changed("Page size of the list endpoints is now 20 by default")
    assert not says_it_changed("Now I want to help people, since it matters to me")
