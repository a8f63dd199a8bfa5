"""The retrieval benchmark on a slice of locomo-dev (read from ../shared/bench, never copied into
the repository): memory built through the real pipeline and recalled with the real embedder
must clear the issue's floor, and beat a plain BM25 retriever over the same turns by far."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from lore.bench.retrieval import coverage, run
from lore.recall.text import match_expression, query_terms

DATASET = Path(__file__).resolve().parents[3] / "shared" / "bench" / "locomo-dev.json"
SESSIONS = 8
KS = (1, 5, 10, 20)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DATASET.is_file(), reason="locomo-dev.json is not in ../shared/bench"),
]


@pytest.fixture(scope="module")
def sliced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """conv-26's first sessions, with the questions whose evidence lies in them."""
    data = json.loads(DATASET.read_text())
    conversation = next(conv for conv in data["conversations"] if conv["id"] == "conv-26")
    sessions = conversation["sessions"][:SESSIONS]
    turns = {turn["id"] for session in sessions for turn in session["turns"]}
    questions = [
        question
        for question in conversation["questions"]
        if question["evidence"] and set(question["evidence"]) <= turns
    ]
    part = {**conversation, "sessions": sessions, "questions": questions}
    path = tmp_path_factory.mktemp("locomo") / "slice.json"
    path.write_text(json.dumps({"name": "locomo-slice", "conversations": [part]}))
    return path


def plain_bm25(path: Path) -> dict[str, float]:
    """The plain baseline: FTS5 BM25 over single turns (``speaker (date): text``), an OR of
    the question's words, no windows, no dense channel, no fusion."""
    conversation = json.loads(path.read_text())["conversations"][0]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE turns USING fts5(id UNINDEXED, text)")
    for session in conversation["sessions"]:
        db.executemany(
            "INSERT INTO turns (id, text) VALUES (?, ?)",
            [
                (turn["id"], f"{turn['speaker']} ({session['date']}): {turn['text']}")
                for turn in session["turns"]
            ],
        )
    sums = dict.fromkeys(KS, 0.0)
    for question in conversation["questions"]:
        match = match_expression(query_terms(question["question"]))
        found: list[Any] = []
        if match:
            found = db.execute(
                "SELECT id FROM turns WHERE turns MATCH ? ORDER BY rank LIMIT ?",
                (match, max(KS)),
            ).fetchall()
        covered = coverage([[row[0]] for row in found], set(question["evidence"]), KS)
        for k in KS:
            sums[k] += covered[k]
    count = len(conversation["questions"])
    return {str(k): sums[k] / count for k in KS}


def test_recall_clears_the_floor_and_beats_plain_bm25(sliced: Path) -> None:
    figures = run(sliced, KS).as_dict()
    baseline = plain_bm25(sliced)
    assert figures["questions"] >= 40
    assert set(figures["recall"]) == {"1", "5", "10", "20"}
    assert set(figures["by_category"]) <= {"single-hop", "multi-hop", "temporal", "open-domain"}
    assert figures["latency_ms"]["p50"] > 0 and figures["build_s"] > 0
    recall = figures["recall"]
    assert recall["10"] >= 0.75 and recall["5"] >= 0.65, figures
    assert recall["10"] >= baseline["10"] + 0.1, (figures, baseline)
    assert recall["5"] >= baseline["5"] + 0.1, (figures, baseline)
    # At equal text, ten turns of lore's ranking still beat ten turns of BM25's.
    within, tokens = figures["recall_within_turns"], figures["tokens_at_k"]
    assert within["10"] >= baseline["10"], (figures, baseline)
    assert 0 < tokens["1"] < tokens["5"] < tokens["10"] <= tokens["20"], tokens
