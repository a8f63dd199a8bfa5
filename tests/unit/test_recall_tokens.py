"""Token budgets: the estimate, clipping, and grouped sections that never pass their budget."""

from __future__ import annotations

from dataclasses import dataclass

from lore.recall.brain import grouped
from lore.recall.tokens import Budget, clip, estimate_tokens


def test_four_characters_a_token() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2


def test_clip_keeps_short_text_and_cuts_long_text_at_a_word() -> None:
    assert clip("  two   words ", 20) == "two words"
    cut = clip("alpha beta gamma delta epsilon", 17)
    assert cut == "alpha beta gamma…"
    assert len(cut) <= 17


def test_budget_leaves_out_what_does_not_fit_but_takes_later_shorter_lines() -> None:
    budget = Budget(10)
    assert budget.add("x" * 20)
    assert not budget.add("y" * 40)
    assert budget.add("z")
    assert budget.used <= 10
    assert budget.text == "x" * 20 + "\nz"


@dataclass
class Row:
    id: int
    group: str
    text: str


def test_grouped_fits_the_budget_and_groups_in_order_of_the_best_row() -> None:
    rows = [Row(i, "b" if i % 2 else "a", f"- item {i} " + "w" * 30) for i in range(40)]
    result = grouped(rows, 120, lambda row: row.text, lambda row: row.group)
    assert result.tokens <= 120
    assert result.ids == sorted(result.ids)
    assert result.markdown.startswith("### a\n- item 0")
    assert "### b\n- item 1" in result.markdown
    assert 0 < len(result.ids) < 40
