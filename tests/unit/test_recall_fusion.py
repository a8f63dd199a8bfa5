import pytest

from lore.recall.fusion import (
    dedup_by_provenance,
    hybrid_scores,
    items_over_their_sources,
    max_normalised,
    minmax_normalised,
    rank,
    rrf_scores,
    weighted_sum,
)


def test_max_normalised_puts_the_best_at_one_and_keeps_zero() -> None:
    assert max_normalised({"a": 4.0, "b": 1.0, "c": 0.0}) == {"a": 1.0, "b": 0.25, "c": 0.0}


def test_max_normalised_of_nothing_positive_is_all_zero() -> None:
    assert max_normalised({"a": 0.0}) == {"a": 0.0}
    assert max_normalised({}) == {}


def test_minmax_normalised_spreads_over_zero_to_one() -> None:
    scores = minmax_normalised({"a": 0.5, "b": 0.3, "c": 0.4})
    assert scores["a"] == 1.0
    assert scores["b"] == 0.0
    assert scores["c"] == pytest.approx(0.5)


def test_minmax_normalised_of_equal_scores_is_all_zero() -> None:
    assert minmax_normalised({"a": 0.7, "b": 0.7}) == {"a": 0.0, "b": 0.0}


def test_weighted_sum_counts_a_missing_key_as_zero() -> None:
    fused = weighted_sum([({"a": 1.0, "b": 0.5}, 0.5), ({"b": 1.0, "c": 1.0}, 0.5)])
    assert fused == {"a": 0.5, "b": 0.75, "c": 0.5}


def test_hybrid_scores_rewards_agreement_of_both_channels() -> None:
    lexical = {"both": 6.0, "words": 8.0}
    dense = {"both": 0.61, "words": 0.30, "meaning": 0.62}
    assert rank(hybrid_scores(lexical, dense))[0] == "both"


def test_hybrid_scores_weight_decides_between_channels() -> None:
    lexical = {"words": 8.0}
    dense = {"words": 0.30, "meaning": 0.62}
    assert rank(hybrid_scores(lexical, dense, dense_weight=0.2))[0] == "words"
    assert rank(hybrid_scores(lexical, dense, dense_weight=0.8))[0] == "meaning"


def test_hybrid_scores_rejects_a_weight_outside_zero_to_one() -> None:
    with pytest.raises(ValueError):
        hybrid_scores({}, {}, dense_weight=1.5)


def test_rrf_scores_sum_reciprocal_ranks() -> None:
    fused = rrf_scores([["a", "b"], ["b", "c"]], k=60)
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 62)
    assert rank(fused) == ["b", "a", "c"]


def test_rrf_scores_apply_weights_per_ranking() -> None:
    fused = rrf_scores([["a"], ["b"]], k=0, weights=[1.0, 3.0])
    assert fused == {"a": 1.0, "b": 3.0}
    with pytest.raises(ValueError):
        rrf_scores([["a"]], weights=[1.0, 2.0])


def test_rank_is_stable_on_ties() -> None:
    assert rank({"x": 1.0, "y": 2.0, "z": 1.0}) == ["y", "x", "z"]


WINDOWS = {
    "w5": ("t4", "t5", "t6"),
    "w6": ("t5", "t6", "t7"),
    "w7": ("t6", "t7", "t8"),
    "w9": ("t8", "t9", "t10"),
}


def test_dedup_drops_a_window_mostly_covered_by_better_ones() -> None:
    kept = dedup_by_provenance(["w5", "w6", "w7", "w9"], WINDOWS.__getitem__)
    # w6 shares t5 and t6 with w5: dropped. w7 shares only t6 (w6 was dropped): kept.
    # w9 shares only t8 with w7: kept.
    assert kept == ["w5", "w7", "w9"]


def test_dedup_with_share_one_keeps_everything() -> None:
    ranked = ["w5", "w6", "w5"]
    assert dedup_by_provenance(ranked, WINDOWS.__getitem__, max_covered_share=1.0) == ranked


def test_dedup_keeps_results_without_provenance_and_honours_limit() -> None:
    provenance = {"a": ("e1",), "b": (), "c": ("e1",), "d": ("e2",)}
    assert dedup_by_provenance(list(provenance), provenance.__getitem__) == ["a", "b", "d"]
    assert dedup_by_provenance(list(provenance), provenance.__getitem__, limit=2) == ["a", "b"]


def test_an_item_ranks_above_the_raw_window_it_was_learnt_from_when_both_match() -> None:
    provenance = {
        "window": {1, 2, 3},
        "item": {2},  # learnt from event 2, which the window holds
        "weak item": {3},  # built from the window's events, but hardly matches the query
        "other item": {9},
        "other window": {8, 9},
    }
    scores = {"window": 0.9, "item": 0.6, "weak item": 0.2, "other item": 0.5,
              "other window": 0.4}  # fmt: skip
    lifted = items_over_their_sources(scores, lambda k: "item" in k, provenance.__getitem__)
    assert rank(lifted)[:2] == ["item", "window"]
    assert lifted["weak item"] == 0.2  # under half the window's score: left where it was
    assert lifted["other item"] == 0.5  # already above its window
    assert {k: v for k, v in lifted.items() if k != "item"} == {
        k: v for k, v in scores.items() if k != "item"
    }


def test_items_from_one_event_are_all_kept_and_cover_their_windows() -> None:
    provenance = {
        "stack": ("scan",),
        "tests": ("scan",),
        "commit": ("c1",),
        "window": ("scan", "c1", "e3"),
        "w2": ("e4",),
    }
    items = {"stack", "tests", "commit"}
    kept = dedup_by_provenance(
        list(provenance), provenance.__getitem__, distinct=items.__contains__
    )
    assert kept == ["stack", "tests", "commit", "w2"]  # the window the items cover is dropped


DAY = 86_400.0


def test_a_later_record_that_supersedes_a_better_one_moves_above_it() -> None:
    from lore.recall.fusion import current_first

    scores = {"pg14": 0.9, "noise": 0.85, "pg16": 0.8, "late-noise": 0.3}
    happened = {"pg14": 0.0, "noise": 5 * DAY, "pg16": 150 * DAY, "late-noise": 200 * DAY}
    same = {("pg14", "pg16")}
    ranked = current_first(
        ["pg14", "noise", "pg16", "late-noise"],
        scores,
        happened.__getitem__,
        lambda earlier, later: (earlier, later) in same,
    )
    assert ranked == ["pg16", "pg14", "noise", "late-noise"]


def test_a_later_record_scoring_far_lower_or_within_a_day_stays_below() -> None:
    from lore.recall.fusion import current_first

    def everything_supersedes(earlier: str, later: str) -> bool:
        return True

    scores = {"a": 1.0, "b": 0.5, "c": 0.9}
    happened = {"a": 0.0, "b": 100 * DAY, "c": 0.5 * DAY}
    ranked = ["a", "c", "b"]
    assert current_first(ranked, scores, happened.__getitem__, everything_supersedes) == ranked
    # moves do not drift: once "c2" takes the first place, the bar stays the first result's
    chain = {"a": 1.0, "c2": 0.75, "d": 0.55}
    times = {"a": 0.0, "c2": 10 * DAY, "d": 20 * DAY}
    moved = current_first(["a", "c2", "d"], chain, times.__getitem__, everything_supersedes)
    assert moved == ["c2", "a", "d"]
