"""Scoring of the retrieval benchmark: recall@k by results, and at equal text."""

from __future__ import annotations

from lore.bench.retrieval import Scores, coverage, coverage_within_tokens, coverage_within_turns
from lore.recall import Hit

# Three ranked results: a window of three turns, a window overlapping it, then one turn.
RANKED = [["D1:1", "D1:2", "D1:3"], ["D1:3", "D1:4", "D1:5"], ["D2:7"]]


def test_recall_at_k_counts_every_turn_of_the_first_k_results() -> None:
    assert coverage(RANKED, {"D1:5", "D2:7"}, [1, 2, 3]) == {1: 0.0, 2: 0.5, 3: 1.0}


def test_recall_within_n_turns_counts_the_first_n_distinct_turns() -> None:
    within = coverage_within_turns(RANKED, {"D1:5", "D2:7"}, [3, 5, 6])
    assert within == {3: 0.0, 5: 0.5, 6: 1.0}


def hit(tokens: int) -> Hit:
    """A result whose text costs ``tokens`` (a common word is one token)."""
    return Hit(
        id=1, kind="source", type=None, title="", text="word " * tokens, score=0.0,
        relevance=0.0, schema_key=None, files=[], tags=[], event_ids=[], status=None,
        confidence=None, session_id=None, created_at=0.0, channels=[],
    )  # fmt: skip


def test_recall_within_a_token_budget_reads_whole_results_while_they_fit() -> None:
    hits = [hit(150), hit(150), hit(30)]
    within = coverage_within_tokens(RANKED, hits, {"D1:5", "D2:7"}, [100, 200, 300, 400])
    # 200 reads the first result only: the second would pass it, and reading stops there.
    assert within == {100: 0.0, 200: 0.0, 300: 0.5, 400: 1.0}


def test_scores_average_each_figure_over_the_questions() -> None:
    scores = Scores([1, 5])
    scores.add(recall={1: 1.0, 5: 1.0}, tokens={1: 10.0, 5: 40.0})
    scores.add(recall={1: 0.0, 5: 0.5}, tokens={1: 20.0, 5: 60.0})
    assert scores.means() == {"1": 0.5, "5": 0.75}
    assert scores.means("tokens", 1) == {"1": 15.0, "5": 50.0}
    assert scores.means("within_turns") == {}  # a figure never recorded has no cut-offs


def test_session_dates_are_read_in_locomos_form_and_in_iso_8601() -> None:
    from datetime import UTC, datetime

    from lore.bench.retrieval import parse_date

    iso = parse_date("2026-01-12T09:14:00Z")
    assert iso == datetime(2026, 1, 12, 9, 14, tzinfo=UTC).timestamp()
    assert parse_date("1:56 pm on 8 May, 2023") == datetime(2023, 5, 8, 13, 56).timestamp()
    assert parse_date("sometime") is None
