"""``lore bench recall`` on a small project, its approximate index forced on: every figure of
the curve is measured, the index answers as exact search does, and the curve is drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from lore.bench.recall_latency import curve, plot, report


def test_a_small_curve_reports_every_figure_and_draws_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LORE_RECALL__ANN_MIN_VECTORS", "300")  # the larger size goes past it
    small, large = curve([200, 600], queries=5)

    assert (small.items, large.items) == (200, 600)
    assert small.ann_recall is None and small.index_mb == 0  # exact search, nothing saved
    assert large.ann_recall is not None and large.ann_recall >= 0.98
    assert large.index_mb > 0 and large.database_mb > small.database_mb
    for figures in (small, large):
        assert len(figures.latency_ms) == len(figures.cached_ms) == 5
        assert figures.first_ms > 0 and figures.build_s > 0
        assert 50 < figures.rss_mb <= figures.peak_rss_mb
        assert "load average" in figures.load
    assert "recall@10 against exact search" in report(large)

    image = tmp_path / "curve.png"
    plot([small, large], image)
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
