"""Pipeline benchmark: events/s through all five stages (Enrich, Deep Enrich, Embed, Dedup,
Drift Check), and, with an LLM configured, LLM calls and tokens per 100 events.

A fresh lore home in a temporary folder gets a project linked to a small generated repository
and sessions of coding activity shaped like what capture stores: agent tool calls (commands
that fail and then work, edits, reads), user requests (some correcting the agent), agent
messages, git commits touching the repository's files, a saved session per session and a scan.
Each session is closed and enriched as one job; the time is that of running every job with the
embedder already loaded (its one-off load is reported apart). The whole measurement is made
``runs`` times, each in a fresh home, and the median run is reported, with every run's rate and
the machine's load.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lore.bench.machine import Load, load
from lore.config import load_settings
from lore.core import Lore
from lore.domain.jobs import STAGES, JobStatus

PROJECT = "bench"
# The LLM target is Enrich's: a per-step annotation design would cost 300 calls or more.
TARGETS = {"events_per_s": 300.0, "enrich_calls_per_100": 12.0}
MODULES = ("auth", "billing", "orders", "search", "users", "cache", "api", "jobs", "mail", "admin")
COMMANDS = {
    "pytest -q": "uv run pytest -q",
    "npm test": "npm run test -- --runInBand",
    "python manage.py migrate": "uv run python manage.py migrate",
    "ruff check .": "uv run ruff check .",
    "mypy src": "uv run mypy src",
}
CORRECTIONS = (
    "No, don't use print for debugging here, we use the logging module.",
    "Use httpx instead of requests in the {m} client.",
    "Never call the {m} service from a view directly, go through the service layer.",
    "We use UTC timestamps everywhere, don't store local times in {m}.",
)


@dataclass
class PipelineFigures:
    events: int
    sessions: int
    seconds: float
    events_per_s: float
    items: int
    embedder_load_s: float
    stage_ms: dict[str, float] = field(default_factory=dict)
    llm: str = "offline"
    event_windows: bool = True
    stage_calls: dict[str, int] = field(default_factory=dict)
    stage_tokens: dict[str, int] = field(default_factory=dict)
    runs_events_per_s: list[float] = field(default_factory=list)
    load_before: Load | None = None
    load_after: Load | None = None

    def per_100(self, count: float) -> float:
        return 100 * count / self.events if self.events else 0.0

    @property
    def enrich_calls_per_100(self) -> float:
        return self.per_100(self.stage_calls.get("enrich", 0))

    def meets_targets(self) -> dict[str, bool]:
        met = {"events_per_s": self.events_per_s >= TARGETS["events_per_s"]}
        if self.llm != "offline":
            met["enrich_calls_per_100"] = (
                self.enrich_calls_per_100 <= TARGETS["enrich_calls_per_100"]
            )
        return met


def run(
    *,
    events: int = 3000,
    session_size: int = 100,
    use_llm: bool = False,
    windows: bool = True,
    runs: int = 3,
    seed: int = 7,
) -> PipelineFigures:
    """Enrich ``events`` generated events in sessions of ``session_size``, ``runs`` times; the
    median run's figures. Offline unless ``use_llm`` (then the configured LLM answers Enrich and
    Deep Enrich); ``windows`` off leaves out the recall index of raw events
    (``pipeline.event_windows``)."""
    before = load()
    measured = [
        run_once(
            events=events, session_size=session_size, use_llm=use_llm, windows=windows, seed=seed
        )
        for _ in range(max(1, runs))
    ]
    median = statistics.median_low(figures.seconds for figures in measured)
    chosen = next(figures for figures in measured if figures.seconds == median)
    chosen.runs_events_per_s = [round(figures.events_per_s, 1) for figures in measured]
    chosen.load_before, chosen.load_after = before, load()
    return chosen


def run_once(
    *, events: int, session_size: int, use_llm: bool, windows: bool, seed: int
) -> PipelineFigures:
    """One measurement, in a fresh lore home."""
    with tempfile.TemporaryDirectory(prefix="lore-bench-pipeline-") as folder:
        root = Path(folder)
        repo = _repository(root / "repo")
        overrides: dict[str, Any] = {
            "home": str(root / "home"),
            "pipeline.in_process_worker": False,
            "service.autostart": False,  # the benchmark's own worker runs the jobs
            "pipeline.event_windows": windows,
        }
        if not use_llm:
            overrides |= {
                "llm.provider": "offline",
                "llm.model": "",
                "llm.base_url": "",
                "llm.api_key": "",
            }
        settings = load_settings(cwd=root, overrides=overrides)
        with Lore.open(settings=settings) as lore:
            return _measure(lore, repo, events, session_size, random.Random(seed))


def _measure(lore: Lore, repo: Path, events: int, size: int, rng: random.Random) -> PipelineFigures:
    lore.create_project(PROJECT, repo=str(repo))
    lore.update_project(PROJECT, auto_learn=False)
    sessions = _capture(lore, repo, events, size, rng)
    started = time.perf_counter()
    lore.pipeline.providers.embedder(lore.session(sessions[0]))
    load_s = time.perf_counter() - started
    jobs = [lore.enrich(session_id).id for session_id in sessions]
    started = time.perf_counter()
    lore.pipeline.worker("bench").run(until_idle=True)
    seconds = time.perf_counter() - started
    done = [lore.job(job_id) for job_id in jobs]
    failed = [job for job in done if job.status is not JobStatus.COMPLETED]
    if failed:
        raise RuntimeError(f"job {failed[0].id} did not complete: {failed[0].error}")
    stage_ms: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    tokens: dict[str, int] = defaultdict(int)
    for job in done:
        for stage in job.stages:
            stage_ms[stage.name] += stage.duration_ms or 0.0
            calls[stage.name] += stage.llm_calls
            tokens[stage.name] += stage.tokens
    llm = lore.settings.llm
    return PipelineFigures(
        events=events,
        sessions=len(sessions),
        seconds=seconds,
        events_per_s=events / seconds,
        items=sum(job.items_extracted for job in done),
        embedder_load_s=load_s,
        stage_ms={name: round(stage_ms[name], 1) for name in STAGES},
        llm="offline" if llm.provider == "offline" else f"{llm.provider}:{llm.model}",
        event_windows=lore.settings.pipeline.event_windows,
        stage_calls={name: calls[name] for name in STAGES if calls[name]},
        stage_tokens={name: tokens[name] for name in STAGES if tokens[name]},
    )


def _capture(lore: Lore, repo: Path, events: int, size: int, rng: random.Random) -> list[int]:
    sessions = []
    for start in range(0, events, size):
        batch = [_event(start + n, rng, repo) for n in range(min(size, events - start))]
        batch[-1] = _save(start, rng)
        result = lore.capture_events(batch, project=PROJECT)
        lore.close(result.session_ids[-1])
        sessions.append(result.session_ids[-1])
    return sessions


def _event(n: int, rng: random.Random, repo: Path) -> dict[str, Any]:
    module = rng.choice(MODULES)
    roll = rng.random()
    if n == 0:
        from lore.capture.scan import describe_repository

        return {"source": "agent", "type": "scan_result", "payload": describe_repository(repo)}
    # An agent session: mostly tool calls, a command that fails now and then, a few requests
    # from the user, the agent's notes, and a commit every twenty events or so.
    if roll < 0.30:
        return _command(n, rng, module)
    if roll < 0.65:
        return _tool(n, rng, module)
    if roll < 0.75:
        return _request(n, rng, module)
    if roll < 0.95:
        text = f"Step {n}: I read app/{module}/service.py; the {module} retry loop sleeps {rng.randint(1, 9)} s between tries."
        return {"source": "agent", "type": "agent_message", "payload": {"text": text}}
    return _commit(n, rng, module)


def _command(n: int, rng: random.Random, module: str) -> dict[str, Any]:
    failing, working = rng.choice(list(COMMANDS.items()))
    fails = rng.random() < 0.25
    command = failing if fails else working
    result = (
        f"E   ModuleNotFoundError: No module named '{module}_{n}'\nFAILED tests/test_{module}.py::test_{n} - ModuleNotFoundError"
        if fails
        else f"{rng.randint(5, 400)} passed in {rng.random() * 9:.2f}s"
    )
    payload = {
        "tool": "Bash",
        "input": command,
        "command": command,
        "result": result,
        "error": fails,
    }
    return {"source": "agent", "type": "step", "payload": payload}


def _tool(n: int, rng: random.Random, module: str) -> dict[str, Any]:
    path = f"app/{module}/{rng.choice(['service', 'views', 'models'])}.py"
    edits = rng.random() < 0.6
    payload = {
        "tool": "Edit" if edits else "Read",
        "input": path,
        "result": f"{'edit' if edits else 'read'} {path} (step {n})",
        "error": False,
        "files" if edits else "files_read": [path],
    }
    return {"source": "agent", "type": "step", "payload": payload}


def _request(n: int, rng: random.Random, module: str) -> dict[str, Any]:
    if rng.random() < 0.3:
        text = rng.choice(CORRECTIONS).format(m=module) + f" (request {n})"
    else:
        text = f"Can you look at why the {module} tests fail on step {n}? The CI run {rng.randint(100, 999)} is red."
    return {"source": "agent", "type": "user_request", "payload": {"text": text}}


def _commit(n: int, rng: random.Random, module: str) -> dict[str, Any]:
    kind = rng.choice(["fix", "feat", "refactor", "chore", "switch"])
    subject = {
        "fix": f"fix({module}): handle empty {module} payloads in step {n}",
        "feat": f"feat({module}): paginate the {module} list endpoint ({n})",
        "refactor": f"refactor({module}): split the {module} service into reader and writer ({n})",
        "chore": f"chore: bump dependencies ({n})",
        "switch": f"Switch {module} caching from pickle to JSON ({n})",
    }[kind]
    body = f"The {module} endpoint returned 500 when the payload was empty, because the parser assumed a list."
    files = [
        {
            "path": f"app/{module}/service.py",
            "insertions": rng.randint(1, 80),
            "deletions": rng.randint(0, 40),
        }
    ]
    diff = (
        f"diff --git a/app/{module}/service.py b/app/{module}/service.py\n"
        + "+    return []\n" * rng.randint(5, 200)
    )
    commit = {
        "sha": f"{n:040x}",
        "subject": subject,
        "body": body,
        "files": files,
        "diff": diff[:3000],
        "timestamp": time.time() + n,
    }
    return {
        "source": "agent",
        "type": "git_digest",
        "payload": {"commits": [commit], "repo": "bench"},
    }


def _save(n: int, rng: random.Random) -> dict[str, Any]:
    module = rng.choice(MODULES)
    payload = {
        "summary": f"Session {n}: fixed empty payload handling in {module} and added pagination.",
        "decisions": [
            f"Paginate {module} lists with cursors, not offsets: offsets skip rows under writes ({n})"
        ],
        "todos": [f"Add an index on {module}.created_at ({n})"],
        "files": [f"app/{module}/service.py"],
    }
    return {"source": "agent", "type": "session_save", "payload": payload}


def _repository(root: Path) -> Path:
    """A small git repository with one FastAPI service module per area, for Deep Enrich."""
    for module in MODULES:
        folder = root / "app" / module
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "service.py").write_text(
            "from fastapi import APIRouter\nfrom pydantic import BaseModel\n\nrouter = APIRouter()\n\n\n"
            f"class {module.title()}In(BaseModel):\n    name: str\n    limit: int = 50\n\n\n"
            f'@router.get("/{module}")\ndef list_{module}(cursor: str | None = None) -> list[dict]:\n    return []\n'
        )
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bench"\ndependencies = ["fastapi", "pydantic"]\n'
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def as_dict(figures: PipelineFigures) -> dict[str, Any]:
    return asdict(figures) | {
        "calls_per_100": {k: round(figures.per_100(v), 2) for k, v in figures.stage_calls.items()},
        "tokens_per_100": {k: round(figures.per_100(v)) for k, v in figures.stage_tokens.items()},
        "targets": TARGETS,
        "meets_targets": figures.meets_targets(),
    }


def report(figures: PipelineFigures) -> str:
    lines = [
        f"{figures.events} events in {figures.sessions} sessions -> {figures.items} items"
        f" ({figures.llm}; event windows {'on' if figures.event_windows else 'off'};"
        f" embedder load {figures.embedder_load_s:.2f} s, not counted)",
        f"  all five stages: {figures.seconds:.2f} s = {figures.events_per_s:,.0f} events/s"
        f" (target {TARGETS['events_per_s']:.0f}), the median of"
        f" {len(figures.runs_events_per_s)} runs: "
        + ", ".join(f"{rate:,.0f}" for rate in figures.runs_events_per_s),
        "  per stage (ms): " + ", ".join(f"{k} {v:,.0f}" for k, v in figures.stage_ms.items()),
        f"  {figures.load_before} before, {figures.load_after} after",
    ]
    for stage, count in figures.stage_calls.items():
        tokens = figures.stage_tokens.get(stage, 0)
        lines.append(
            f"  {stage}: {figures.per_100(count):.1f} LLM calls and"
            f" {figures.per_100(tokens):,.0f} tokens per 100 events"
        )
    if figures.llm != "offline":
        lines.append(
            f"  (target: at most {TARGETS['enrich_calls_per_100']:.0f} Enrich calls per 100 events)"
        )
    return "\n".join(lines)
