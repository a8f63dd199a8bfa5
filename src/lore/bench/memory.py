"""First-hour memory benchmark: does lore know a repository it has never seen the way a
colleague who read it for an afternoon would?

A question set (``benchmarks/memory/first-hour.json``, documented in docs/benchmarks.md) names
repositories by a pinned archive (URL and sha256) and, for each, questions with answer patterns.
Each archive is fetched (kept in a cache folder), unpacked, committed into a fresh git
repository, and its memory built through the real commands a new user runs, in a fresh lore
home: ``lore init``, ``lore scan``, ``lore digest``, ``lore enrich --all --wait``. Each question
then goes through ``lore search --json --limit 5``; it is answered when one of its patterns (a
case-insensitive regular expression) occurs in the title, text or files of one of those five.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from lore.bench.machine import Load, load
from lore.errors import LoreError, ValidationError

TOP_K = 5
COMMAND_TIMEOUT_S = 1800
DEFAULT_CACHE = Path.home() / ".cache" / "lore" / "bench"
# Commits made by the benchmark neither read nor depend on the user's git configuration.
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "lore bench",
    "GIT_AUTHOR_EMAIL": "bench@lore.invalid",
    "GIT_COMMITTER_NAME": "lore bench",
    "GIT_COMMITTER_EMAIL": "bench@lore.invalid",
}


@dataclass
class Answered:
    id: str
    question: str
    category: str
    rank: int | None  # of the first result holding an answer, 1-based
    top: list[str]  # titles of the results, best first

    @property
    def found(self) -> bool:
        return self.rank is not None


@dataclass
class RepositoryFigures:
    id: str
    kind: str
    version: str
    items: int
    build_s: float
    answers: list[Answered] = field(default_factory=list)

    @property
    def found(self) -> int:
        return sum(answer.found for answer in self.answers)


@dataclass
class MemoryFigures:
    name: str
    repositories: list[RepositoryFigures]
    load_before: Load
    load_after: Load

    @property
    def found(self) -> int:
        return sum(repo.found for repo in self.repositories)

    @property
    def asked(self) -> int:
        return sum(len(repo.answers) for repo in self.repositories)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "found": self.found,
            "asked": self.asked,
            "top_k": TOP_K,
            "repositories": [
                asdict(repo) | {"found": repo.found, "asked": len(repo.answers)}
                for repo in self.repositories
            ],
            "load_before": str(self.load_before),
            "load_after": str(self.load_after),
        }


def run(
    question_set: Path, *, repositories: list[str] | None = None, cache: Path = DEFAULT_CACHE
) -> MemoryFigures:
    data = read_set(question_set)
    chosen = [r for r in data["repositories"] if not repositories or r["id"] in repositories]
    if repositories and len(chosen) != len(set(repositories)):
        known = ", ".join(r["id"] for r in data["repositories"])
        raise ValidationError(f"the set has no repository named so; it has {known}", "repo")
    before = load()
    figures = [_repository(spec, cache) for spec in chosen]
    return MemoryFigures(str(data.get("name") or question_set.stem), figures, before, load())


def read_set(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(f"cannot read the question set {path}: {exc}", "set") from None
    if not isinstance(data, dict) or not isinstance(data.get("repositories"), list):
        raise ValidationError(f"{path} has no list of repositories", "set")
    return data


def _repository(spec: dict[str, Any], cache: Path) -> RepositoryFigures:
    archive = fetch(spec["archive"], cache)
    with tempfile.TemporaryDirectory(prefix=f"lore-bench-memory-{spec['id']}-") as folder:
        repo = unpack(archive, spec["archive"].get("root", ""), Path(folder) / spec["id"])
        home = Path(folder) / "home"
        started = time.perf_counter()
        try:
            build(repo, home)
            build_s = time.perf_counter() - started
            items = _count_items(repo, home)
            answers = [_ask(repo, home, question) for question in spec["questions"]]
        finally:
            _lore(repo, home, "service", "stop", check=False)
    return RepositoryFigures(
        spec["id"], spec.get("kind", ""), spec.get("version", ""), items, build_s, answers
    )


def fetch(archive: dict[str, Any], cache: Path) -> Path:
    """The archive's file in ``cache`` (downloaded once); its sha256 is checked every time."""
    target = cache / f"{archive['sha256']}-{archive['url'].rsplit('/', 1)[-1]}"
    if not target.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        with httpx.stream("GET", archive["url"], follow_redirects=True, timeout=120) as response:
            if response.status_code != 200:
                raise LoreError(f"cannot fetch {archive['url']}: HTTP {response.status_code}")
            with partial.open("wb") as file:
                for chunk in response.iter_bytes():
                    file.write(chunk)
        partial.replace(target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest != archive["sha256"]:
        target.unlink()
        raise LoreError(f"{archive['url']} has sha256 {digest}, not the pinned {archive['sha256']}")
    return target


def unpack(archive: Path, root: str, target: Path) -> Path:
    """The archive's ``root`` folder unpacked as ``target``, committed as one git commit."""
    with tempfile.TemporaryDirectory(dir=target.parent) as folder:
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
        shutil.move(str(Path(folder) / root), target)
    env = os.environ | GIT_ENV
    for command in (
        ["init", "-q", "-b", "main"],
        ["add", "-A", "-f"],
        ["commit", "-q", "-m", f"Import {archive.name}"],
    ):
        subprocess.run(["git", *command], cwd=target, env=env, check=True, capture_output=True)
    return target


def build(repo: Path, home: Path) -> None:
    """The memory of ``repo``, as a new user builds it."""
    for command in (["init"], ["scan"], ["digest"], ["enrich", "--all", "--wait"]):
        _lore(repo, home, *command)


def _count_items(repo: Path, home: Path) -> int:
    listed = json.loads(_lore(repo, home, "items", "--limit", "1", "--json"))
    return int(listed["total"])


def _ask(repo: Path, home: Path, question: dict[str, Any]) -> Answered:
    hits = json.loads(
        _lore(repo, home, "search", question["question"], "--limit", str(TOP_K), "--json")
    )
    patterns = [re.compile(answer, re.I) for answer in question["answers"]]
    rank = next(
        (
            index
            for index, hit in enumerate(hits, 1)
            if any(pattern.search(_text(hit)) for pattern in patterns)
        ),
        None,
    )
    return Answered(
        question["id"],
        question["question"],
        question.get("category", ""),
        rank,
        [str(hit.get("title") or "")[:100] for hit in hits],
    )


def _text(hit: dict[str, Any]) -> str:
    files = " ".join(str(path) for path in hit.get("files") or [])
    return f"{hit.get('title') or ''}\n{hit.get('text') or ''}\n{files}"


def _lore(repo: Path, home: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lore", *args],
        cwd=repo,
        env=os.environ | {"LORE_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )
    if check and done.returncode != 0:
        raise LoreError(f"lore {' '.join(args)} failed in {repo}: {done.stderr.strip()[-500:]}")
    return done.stdout


def report(figures: MemoryFigures) -> str:
    lines = [
        f"Memory benchmark {figures.name}: answers in the top {TOP_K} of `lore search`",
        f"load before {figures.load_before}, after {figures.load_after}",
        "",
        f"{'repository':<12} {'kind':<28} {'found':>7} {'items':>6} {'build':>8}",
    ]
    for repo in figures.repositories:
        lines.append(
            f"{repo.id:<12} {repo.kind:<28} {repo.found:>3}/{len(repo.answers):<3}"
            f" {repo.items:>6} {repo.build_s:>7.0f}s"
        )
    lines.append(f"{'all':<12} {'':<28} {figures.found:>3}/{figures.asked:<3}")
    missed = [(repo.id, a) for repo in figures.repositories for a in repo.answers if not a.found]
    if missed:
        lines += ["", "Not in the top 5:"]
        lines += [
            f"- {repo_id}: {a.question} (first result: {a.top[0] if a.top else 'none'})"
            for repo_id, a in missed
        ]
    return "\n".join(lines)
