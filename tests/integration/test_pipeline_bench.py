"""``lore bench pipeline`` for real, small: every run enriches every session, the median run
is reported with all the runs and the machine's load."""

from __future__ import annotations

from lore.bench.pipeline import as_dict, report, run


def test_the_median_of_several_runs_is_reported_with_the_load() -> None:
    figures = run(events=200, session_size=100, runs=3)
    assert (figures.events, figures.sessions) == (200, 2)
    assert len(figures.runs_events_per_s) == 3
    assert sorted(figures.runs_events_per_s)[1] == round(figures.events_per_s, 1)
    assert figures.items > 0 and figures.stage_ms["embed"] > 0
    assert figures.load_before is not None and figures.load_before.cores >= 1
    text = report(figures)
    assert "the median of 3 runs" in text and "load average" in text
    assert as_dict(figures)["load_after"]["cores"] == figures.load_before.cores
