"""Retrieval benchmark: recall@k by provenance on a conversational data set.

The data set is JSON in the format of ``../shared/bench/FORMAT.md``. Each conversation's memory
is built the way a user's is: its own project, one capture session per session (closed at the
end), one event per turn (source ``chat``, the speaker and the session's date kept), then
Generate Memory on each session: the real pipeline as configured (offline by default), whose
Embed stage builds the episode windows raw-event recall searches. Each question is recalled against its own project with ``Lore.recall`` (defaults: mode
guessed, access recorded, as for any caller), and a returned memory counts for every evidence
turn in its provenance. recall@k of a question is the share of its evidence turns covered by
the top k results; the figure is the mean over questions.

At equal text (FORMAT.md): a window of three turns covers more than one turn, so beside recall@k
the benchmark reports recall within N turns (the ranked results flattened into the distinct
turns they cover, cut after N), recall within a token budget (the results read in rank order
while their tokens fit) and the tokens an agent reads in the top k results.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lore.bench.stats import p50_p95
from lore.config import load_settings
from lore.core import Lore
from lore.domain import EventIn, Project
from lore.domain.jobs import JobStatus
from lore.errors import LoreError, ValidationError
from lore.recall import Hit

DEFAULT_KS = (1, 5, 10, 20)
# Token budgets for recall at equal cost (issue 23): what an agent reads within each.
BUDGETS = (200, 400, 800, 1600)
DATE_FORMATS = ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y", "%Y-%m-%d %H:%M", "%Y-%m-%d")
BATCH = 200


@dataclass
class Scores:
    """Sums over the questions of one group (all, or a category), for each cut-off: recall@k,
    recall within k turns, recall within a token budget and tokens of the top k results."""

    ks: Sequence[int]
    questions: int = 0
    sums: dict[str, dict[int, float]] = field(default_factory=dict)

    def add(self, **figures: Mapping[int, float]) -> None:
        self.questions += 1
        for name, at in figures.items():
            sums = self.sums.setdefault(name, {})
            for cut, value in at.items():
                sums[cut] = sums.get(cut, 0.0) + value

    def means(self, name: str = "recall", digits: int = 4) -> dict[str, float]:
        sums = self.sums.get(name, {})
        count = max(1, self.questions)
        return {str(cut): round(total / count, digits) for cut, total in sums.items()}


@dataclass
class RetrievalFigures:
    dataset: str
    ks: Sequence[int]
    overall: Scores
    categories: dict[str, Scores]
    latencies_ms: list[float]
    build_s: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "questions": self.overall.questions,
            "recall": self.overall.means(),
            "recall_within_turns": self.overall.means("within_turns"),
            "recall_within_tokens": self.overall.means("within_tokens"),
            "tokens_at_k": self.overall.means("tokens", 1),
            "by_category": {
                name: {"questions": scores.questions, "recall": scores.means()}
                for name, scores in sorted(self.categories.items())
            },
            "latency_ms": p50_p95(self.latencies_ms),
            "build_s": round(self.build_s, 2),
        }


def run(
    dataset: Path,
    ks: Sequence[int] = DEFAULT_KS,
    *,
    conversations: Iterable[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> RetrievalFigures:
    """Build every conversation (or those named) in a fresh lore home, then ask every question.
    ``overrides`` are dotted settings (``{"recall.dense_weight": 0.4}``) for experiments."""
    data = load_dataset(dataset)
    wanted = set(conversations) if conversations is not None else None
    chosen = [conv for conv in data["conversations"] if wanted is None or conv["id"] in wanted]
    with tempfile.TemporaryDirectory(prefix="lore-retrieval-") as folder:
        # Jobs run in this thread, one session after the other, as `enrich` asks for them.
        layers = {
            **(overrides or {}),
            "home": folder,
            "pipeline.in_process_worker": False,
            "service.autostart": False,
        }
        settings = load_settings(overrides=layers)
        with Lore.open(settings=settings) as lore:
            started = time.perf_counter()
            built = [(conv, build_conversation(lore, conv)) for conv in chosen]
            build_s = time.perf_counter() - started
            figures = RetrievalFigures(
                str(data.get("name") or dataset.stem), ks, Scores(ks), {}, [], build_s
            )
            for conv, (project, turn_of_event) in built:
                ask_questions(lore, project, conv["questions"], turn_of_event, figures)
    return figures


def load_dataset(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValidationError(f"cannot read data set {path}: {exc}", "dataset") from None
    if not isinstance(data, dict) or not isinstance(data.get("conversations"), list):
        raise ValidationError(f"{path} has no conversations (see FORMAT.md)", "dataset")
    return data


def build_conversation(
    lore: Lore, conversation: Mapping[str, Any]
) -> tuple[Project, dict[int, str]]:
    """The conversation as a user's memory: a project, a closed session per session, an event
    per turn; returns the project and the turn id of every event."""
    project = lore.create_project(_project_name(conversation["id"]))
    turn_of_event: dict[int, str] = {}
    for session in conversation["sessions"]:
        source = session.get("source") or "chat"
        stored = lore.store.sessions.create(project.id, source)
        start = parse_date(session.get("date"))
        events = [
            EventIn(
                source=source,
                type="message",
                payload={"speaker": turn["speaker"], "text": turn["text"]},
                session_id=stored.id,
                idempotency_key=f"{conversation['id']}:{turn['id']}",
                occurred_at=start + index if start is not None else None,
            )
            for index, turn in enumerate(session["turns"])
        ]
        for begin in range(0, len(events), BATCH):
            result = lore.capture_events(events[begin : begin + BATCH], project=project)
            turns = session["turns"][begin : begin + BATCH]
            for event_id, turn in zip(result.event_ids, turns, strict=True):
                turn_of_event[event_id] = turn["id"]
        lore.close(stored.id)
        enrich(lore, stored.id)
    return lore.project(project.id), turn_of_event


def enrich(lore: Lore, session_id: int) -> None:
    """Generate Memory for one closed session through the pipeline, run here to its end."""
    job = lore.enrich(session_id)  # "Generate Memory", as a user would press it
    worker = lore.pipeline.worker("bench")
    while not lore.job(job.id).finished:
        if worker.run_once() is None:
            raise LoreError(f"enrichment job {job.id} is not due: {lore.job(job.id)}")
    done = lore.job(job.id)
    if done.status is not JobStatus.COMPLETED:
        raise LoreError(f"enrichment of session {session_id} failed: {done.error}")


def ask_questions(
    lore: Lore,
    project: Project,
    questions: Sequence[Mapping[str, Any]],
    turn_of_event: Mapping[int, str],
    figures: RetrievalFigures,
) -> None:
    deepest = max(figures.ks)
    for question in questions:
        started = time.perf_counter()
        hits = lore.recall(project, question["question"], limit=deepest)
        figures.latencies_ms.append((time.perf_counter() - started) * 1000)
        evidence = set(question.get("evidence") or [])
        if not evidence:
            continue
        provenance = [[turn_of_event.get(e, "") for e in hit.event_ids] for hit in hits]
        scored = {
            "recall": coverage(provenance, evidence, figures.ks),
            "within_turns": coverage_within_turns(provenance, evidence, figures.ks),
            "tokens": tokens_at(hits, figures.ks),
            "within_tokens": coverage_within_tokens(provenance, hits, evidence, BUDGETS),
        }
        figures.overall.add(**scored)
        category = str(question.get("category") or "none")
        figures.categories.setdefault(category, Scores(figures.ks)).add(**scored)


def coverage(
    provenance: Sequence[Sequence[str]], evidence: set[str], ks: Sequence[int]
) -> dict[int, float]:
    """Share of ``evidence`` covered by the provenance of the first k results, for each k."""
    covered_at: dict[int, float] = {}
    for k in ks:
        covered = {turn for turns in provenance[:k] for turn in turns}
        covered_at[k] = len(evidence & covered) / len(evidence)
    return covered_at


def coverage_within_turns(
    provenance: Sequence[Sequence[str]], evidence: set[str], ns: Sequence[int]
) -> dict[int, float]:
    """Share of ``evidence`` among the first n distinct turns the ranked results cover, for
    each n: recall at equal text, whatever the size of each result."""
    turns = list(dict.fromkeys(turn for covered in provenance for turn in covered if turn))
    return {n: len(evidence & set(turns[:n])) / len(evidence) for n in ns}


def coverage_within_tokens(
    provenance: Sequence[Sequence[str]],
    hits: Sequence[Hit],
    evidence: set[str],
    budgets: Sequence[int],
) -> dict[int, float]:
    """Share of ``evidence`` in the results an agent reads within each token budget: results in
    rank order, each whole, while their tokens still fit (the first that does not ends it)."""
    covered_at: dict[int, float] = {}
    for budget in budgets:
        spent, covered = 0, set[str]()
        for turns, hit in zip(provenance, hits, strict=True):
            spent += hit.tokens
            if spent > budget:
                break
            covered.update(turns)
        covered_at[budget] = len(evidence & covered) / len(evidence)
    return covered_at


def tokens_at(hits: Sequence[Hit], ks: Sequence[int]) -> dict[int, float]:
    """Estimated tokens of the first k results' text, what an agent pays to read them."""
    sizes = [hit.tokens for hit in hits]
    return {k: float(sum(sizes[:k])) for k in ks}


def parse_date(text: str | None) -> float | None:
    """A session's date in LoCoMo's form ("1:56 pm on 8 May, 2023") or ISO 8601."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        pass
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).timestamp()
        except ValueError:
            continue
    return None


def report(figures: RetrievalFigures) -> str:
    data = figures.as_dict()
    lines = [
        f"{data['dataset']}: {data['questions']} questions, memory built in {data['build_s']} s",
        "recall@k  " + "  ".join(f"R@{k} {v:.3f}" for k, v in data["recall"].items()),
        "within N turns  "
        + "  ".join(f"N={n} {v:.3f}" for n, v in data["recall_within_turns"].items()),
        "within a token budget  "
        + "  ".join(f"{int(b):,} {v:.3f}" for b, v in data["recall_within_tokens"].items()),
        "tokens of top k  " + "  ".join(f"k={k} {v:,.0f}" for k, v in data["tokens_at_k"].items()),
    ]
    for name, group in data["by_category"].items():
        shown = "  ".join(f"R@{k} {v:.3f}" for k, v in group["recall"].items())
        lines.append(f"  {name:<12} ({group['questions']:>3})  {shown}")
    latency = data["latency_ms"]
    lines.append(f"recall latency p50 {latency['p50']} ms, p95 {latency['p95']} ms")
    return "\n".join(lines)


def _project_name(conversation_id: str) -> str:
    return conversation_id.replace("/", "-")[:100] or "conversation"
