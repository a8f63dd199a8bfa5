"""Full-history benchmark: ``lore digest`` of a repository of N commits, then Generate Memory of
all of them (the first thing a new user does, ``lore digest && lore enrich --all --wait``).

The repository is synthetic, made with ``git fast-import`` so that building it costs seconds:
N commits over a package of 60 Python modules with their tests and docs, each changing one to
three files by a few lines, with conventional subjects and, for a third of them, a body giving
the reason. The figure is about speed (git, redaction, capture, the pipeline), not about what
is learnt.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lore.bench.machine import Load, load
from lore.config import load_settings
from lore.core import Lore

TARGETS_S = {"digest": 30.0, "enrich": 180.0}
MODULES = 60
VERBS = ("Add", "Fix", "Refactor", "Speed up", "Document", "Test", "Handle", "Remove")
THINGS = ("retry loop", "cache key", "parser", "timeout", "config loader", "CLI flag", "logging")


@dataclass
class DigestFigures:
    commits: int
    digest_s: list[float]
    enrich_s: float
    items: int
    load_before: Load
    load_after: Load
    build_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def digest_median_s(self) -> float:
        return statistics.median(self.digest_s)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "digest_median_s": round(self.digest_median_s, 2),
            "commits_per_s": round(self.commits / self.digest_median_s),
            "enrich_events_per_s": round(self.commits / self.enrich_s, 1) if self.enrich_s else 0,
            "targets_s": TARGETS_S,
            "load_before": str(self.load_before),
            "load_after": str(self.load_after),
        }


def run(commits: int = 3000, runs: int = 3, *, enrich: bool = True, seed: int = 7) -> DigestFigures:
    before = load()
    with tempfile.TemporaryDirectory(prefix="lore-bench-digest-") as folder:
        root = Path(folder)
        started = time.perf_counter()
        repo = make_repository(root / "repo", commits, random.Random(seed))
        build_s = time.perf_counter() - started
        timings = []
        for attempt in range(runs):
            with Lore.open(settings=_settings(root / f"home-{attempt}")) as lore:
                project = lore.create_project("bench", repo=str(repo))
                lore.update_project(project, auto_learn=False)  # enrichment is timed apart
                started = time.perf_counter()
                result = lore.digest(repo, project=project)
                timings.append(time.perf_counter() - started)
                if result.captured != commits:
                    raise RuntimeError(f"digested {result.captured} of {commits} commits")
        enrich_s, items = _enrich(root / "home-0") if enrich else (0.0, 0)
    return DigestFigures(commits, timings, enrich_s, items, before, load(), build_s)


def _settings(home: Path) -> Any:
    return load_settings(
        overrides={
            "home": str(home),
            "pipeline.in_process_worker": False,
            "service.autostart": False,  # the benchmark's own worker runs the jobs
            "llm.provider": "offline",
        }
    )


def _enrich(home: Path) -> tuple[float, int]:
    """Generate Memory for the digested session, run to its end here."""
    with Lore.open(settings=_settings(home)) as lore:
        session_id = lore.sessions("bench")[0].id
        job = lore.enrich(session_id)
        started = time.perf_counter()
        lore.pipeline.worker("bench").run(until_idle=True)
        seconds = time.perf_counter() - started
        done = lore.job(job.id)
        return seconds, done.items_extracted


def make_repository(root: Path, commits: int, rng: random.Random) -> Path:
    """A repository of ``commits`` commits, made with one ``git fast-import``."""
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    contents = {f"src/pkg/mod{n}.py": [f"def f{n}():\n", "    return 0\n"] for n in range(MODULES)}
    stream: list[str] = []
    moment = 1_600_000_000
    for mark in range(1, commits + 1):
        moment += rng.randint(600, 90_000)
        verb, thing, module = rng.choice(VERBS), rng.choice(THINGS), rng.randrange(MODULES)
        message = f"{verb} the {thing} in mod{module}"
        if rng.random() < 0.33:
            message += f"\n\nThe {thing} failed under load: callers saw timeouts after {mark} s."
        changed = {f"src/pkg/mod{module}.py"}
        if rng.random() < 0.5:
            changed.add(f"tests/test_mod{module}.py")
        if rng.random() < 0.1:
            changed.add("docs/changes.md")
        stream.append(f"commit refs/heads/main\nmark :{mark}\n")
        stream.append(f"author Ada Lovelace <ada@example.com> {moment} +0000\n")
        stream.append(f"committer Ada Lovelace <ada@example.com> {moment} +0000\n")
        data = message.encode()
        stream.append(f"data {len(data)}\n{message}\n")
        if mark > 1:
            stream.append(f"from :{mark - 1}\n")
        for path in sorted(changed):
            lines = contents.setdefault(path, [f"# {path}\n"])
            lines.append(f"value_{mark} = {rng.randint(0, 999)}  # {thing}\n")
            text = "".join(lines[-200:]).encode()
            stream.append(f"M 100644 inline {path}\ndata {len(text)}\n{text.decode()}\n")
    subprocess.run(
        ["git", "-C", str(root), "fast-import", "--quiet"],
        input="".join(stream).encode(),
        check=True,
    )
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "main"], check=True)
    return root


def report(figures: DigestFigures) -> str:
    data = figures.as_dict()
    lines = [
        f"full history: {figures.commits:,} commits (repository built in {figures.build_s:.1f} s)",
        f"  lore digest: {data['digest_median_s']} s = {data['commits_per_s']:,} commits/s, the"
        f" median of {len(figures.digest_s)} runs: "
        + ", ".join(f"{s:.1f}" for s in figures.digest_s)
        + f" (target {TARGETS_S['digest']:.0f} s)",
    ]
    if figures.enrich_s:
        lines.append(
            f"  Generate Memory of them all: {figures.enrich_s:.1f} s"
            f" = {data['enrich_events_per_s']} commits/s, {figures.items} items"
            f" (target {TARGETS_S['enrich']:.0f} s)"
        )
    lines.append(f"  {figures.load_before} before, {figures.load_after} after")
    return "\n".join(lines)
