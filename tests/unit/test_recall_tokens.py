"""Token budgets: the true count, clipping, and grouped sections that never pass their budget."""

from __future__ import annotations

from dataclasses import dataclass

from lore.recall.brain import grouped
from lore.recall.models import Hit
from lore.recall.service import within_budget
from lore.recall.tokens import Budget, clip, count_tokens, cut_to_tokens


def test_tokens_are_the_bundled_tokenizers_count() -> None:
    from tokenizers import Tokenizer

    from lore.recall.tokens import _tokenizer

    assert isinstance(_tokenizer(), Tokenizer)
    assert count_tokens("") == 0
    assert count_tokens("The user moved auth to JWT.") == 9
    code = "src/lore/config.py: def load_settings(cwd: Path | None = None) -> LoadedSettings:"
    # Paths and code cost more than four characters a token, which budgets used to assume.
    assert count_tokens(code) > 1.4 * len(code) / 4
    long = "word " * 2000  # beyond the model's 256 tokens: counted whole
    assert count_tokens(long) == 2000


def test_clip_keeps_short_text_and_cuts_long_text_at_a_word() -> None:
    assert clip("  two   words ", 20) == "two words"
    cut = clip("alpha beta gamma delta epsilon", 17)
    assert cut == "alpha beta gamma…"
    assert len(cut) <= 17


def test_budget_leaves_out_what_does_not_fit_but_takes_later_shorter_lines() -> None:
    budget = Budget(10)
    assert budget.add("one two three four five")
    assert not budget.add("six seven eight nine ten eleven")
    assert budget.add("twelve")
    assert budget.used <= 10
    assert budget.text == "one two three four five\ntwelve"


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


def result(text: str) -> Hit:
    return Hit(
        id=len(text), kind="semantic", type="decision", title="t", text=text, score=1.0,
        relevance=1.0, schema_key=None, files=[], tags=[], event_ids=[], status=None,
        confidence=None, session_id=None, created_at=0.0, channels=[],
    )  # fmt: skip


def test_a_budget_is_filled_best_first_passing_over_what_does_not_fit() -> None:
    hits = [result("word " * 30), result("word " * 80), result("word " * 15)]
    kept = within_budget(hits, 50)
    assert [hit.tokens for hit in kept] == [30, 15]  # the 80-token hit is passed over
    assert sum(hit.tokens for hit in kept) <= 50


def test_the_room_left_is_filled_with_the_head_of_the_next_hit() -> None:
    kept = within_budget([result("word " * 30), result("word " * 200)], 100)
    assert [hit.tokens for hit in kept] == [30, 70]
    assert kept[1].full_tokens == 200 and kept[1].text.endswith(" …")


def test_a_hit_too_large_for_the_budget_comes_back_cut_with_its_full_cost() -> None:
    [cut] = within_budget([result("word " * 500)], 40)
    assert cut.tokens <= 40 and cut.text.endswith(" …")
    assert cut.full_tokens == 500
    assert cut_to_tokens("short text", 40) == "short text"


def test_a_compact_index_shows_one_line_and_what_the_whole_costs() -> None:
    long = result("first fact. " * 100)
    line = long.indexed()
    assert len(line.text) <= 160 and "\n" not in line.text
    assert line.full_tokens == long.tokens > line.tokens
    short = result("one short fact")
    assert short.indexed() is short
