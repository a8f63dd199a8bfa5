"""Claude Code hook latency: ``lore hook claude-code EVENT`` run as Claude Code runs it (a new
process fed the hook JSON on stdin), timed from spawn to exit.

Usage: python benchmarks/hooks.py [--runs 200] [--json]

Each event runs against a fresh lore home with one project holding 40 embedded memory items,
using the hook input fixtures of ``tests/fixtures/claude_code/hooks``: first without the warm
helper (what the hook does in its own process), then with it running, as in use. Also timed:
an empty Python process (the floor of any hook written in Python) and the drain that stores
spooled events.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "claude_code" / "hooks"
FIXTURE_REPO = "/home/dev/acme-api"
LORE = str(Path(sys.executable).with_name("lore"))
SHORT_PROMPT = "run the tests"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="Runs of the hot-path events.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        figures = measure(Path(folder), args.runs)
    print(json.dumps(figures, indent=2) if args.json else table(figures))


def measure(folder: Path, runs: int) -> dict[str, dict[str, float]]:
    home, repo = folder / "home", folder / "acme-api"
    repo.mkdir()
    (repo / ".lore.toml").write_text('project = "acme"\n')
    env = os.environ | {"LORE_HOME": str(home)}
    env.pop("LORE_HOOK_SYNC", None)
    in_hook = env | {"LORE_HOOK_SYNC": "1"}
    _create_project(env, repo)
    few = max(runs // 10, 5)
    prompt = _fixture("UserPromptSubmit", repo)
    start = _fixture("SessionStart", repo)
    figures = {
        "python -c pass (floor)": _runs([sys.executable, "-c", "pass"], "", env, repo, runs),
        "UserPromptSubmit, recall in the hook process (no helper)": _runs(
            _hook("UserPromptSubmit"), prompt, in_hook, repo, few
        ),
        "SessionStart, no cached brief, no helper": _first_session_start(
            home, start, in_hook, repo, few
        ),
    }
    _start_helper(env, repo, prompt, home)
    try:
        cases = [
            ("PostToolUse (Edit)", "PostToolUse", _fixture("PostToolUse_Edit", repo), runs),
            ("PostToolUse (Bash)", "PostToolUse", _fixture("PostToolUse_Bash", repo), runs),
            ("UserPromptSubmit, short prompt", "UserPromptSubmit", _short_prompt(repo), few),
            ("UserPromptSubmit, recall by the warm helper", "UserPromptSubmit", prompt, runs),
            ("SessionStart, cached brief", "SessionStart", start, few),
            ("Stop (drain asked of the helper)", "Stop", _fixture("Stop", repo), few),
        ]
        for name, event, payload, count in cases:
            figures[name] = _runs(_hook(event), payload, env, repo, count)
    finally:
        _stop_helper(home)
    figures["drain of spooled events, per event"] = _drain_cost(env, repo, runs)
    return figures


def _hook(event: str) -> list[str]:
    return [LORE, "hook", "claude-code", event]


def _runs(
    command: list[str], payload: str, env: dict[str, str], cwd: Path, count: int
) -> dict[str, float]:
    return _stats([_timed(command, payload, env, cwd) for _ in range(count)])


def _first_session_start(
    home: Path, payload: str, env: dict[str, str], cwd: Path, count: int
) -> dict[str, float]:
    """SessionStart with no cached brief yet: the brain is computed in the hook process."""
    samples = []
    for _ in range(count):
        (home / "cache" / "brief" / "acme.md").unlink(missing_ok=True)
        samples.append(_timed(_hook("SessionStart"), payload, env, cwd))
    return _stats(samples)


def _start_helper(env: dict[str, str], cwd: Path, prompt: str, home: Path) -> None:
    """Start the local service as the hooks do, and warm it (embedding model loaded)."""
    from lore.service import client

    _timed(_hook("UserPromptSubmit"), prompt, env, cwd)
    deadline = time.monotonic() + 120
    while not client.socket_path(home).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the local service did not start")
        time.sleep(0.1)
    _timed(_hook("UserPromptSubmit"), prompt, env, cwd)


def _stop_helper(home: Path) -> None:
    from lore.service import client

    client.stop(home)


def _timed(command: list[str], payload: str, env: dict[str, str], cwd: Path) -> float:
    """Milliseconds from spawn to exit."""
    start = time.perf_counter()
    subprocess.run(
        command, input=payload, text=True, env=env, cwd=cwd, capture_output=True, check=True
    )
    return (time.perf_counter() - start) * 1000


def _drain_cost(env: dict[str, str], repo: Path, runs: int) -> dict[str, float]:
    """Spool ``runs`` distinct tool calls and a close through the hooks, then time the drain
    that stores them (in this process, lore already loaded, as in the helper)."""
    from lore import Lore
    from lore.config import load_settings
    from lore.integrations.claude_code import drain, spool

    raw = json.loads(_fixture("PostToolUse_Bash", repo))
    for index in range(runs):
        payload = raw | {"tool_use_id": f"toolu_bench_{index}", "session_id": "bench"}
        _timed(_hook("PostToolUse"), json.dumps(payload), env, repo)
    home = Path(env["LORE_HOME"])
    close = {"project": "acme", "session": "bench", "cwd": str(repo), "close": True}
    spool.append(spool.spool_file(home, "bench"), close)
    with Lore.open(settings=load_settings(cwd=repo, overrides={"home": str(home)})) as lore:
        start = time.perf_counter()
        drain.drain(lore, home)
        elapsed = (time.perf_counter() - start) * 1000
    return {"runs": runs, "total_ms": round(elapsed, 1), "per_event_ms": round(elapsed / runs, 2)}


def _create_project(env: dict[str, str], repo: Path) -> None:
    subprocess.run(
        [LORE, "init", "--name", "acme", str(repo)],
        env=env,
        cwd=repo,
        check=True,
        capture_output=True,
    )
    _seed_items(Path(env["LORE_HOME"]))


def _seed_items(home: Path, count: int = 40) -> None:
    """Memory items with embeddings, as enrichment leaves them, so recall takes its dense path
    (and the prompt hook loads the embedding model) as in a real project."""
    from lore import Lore
    from lore.config import load_settings
    from lore.domain.graph import Changeset, NodeDraft

    with Lore.open(settings=load_settings(overrides={"home": str(home)})) as lore:
        project = lore.project("acme")
        session = lore.capture_event("bench", "note", {"text": "seed"}, project=project)
        drafts = [
            NodeDraft(
                ref=f"n{i}",
                kind="semantic",
                type="convention" if i % 2 else "decision",
                title=f"Rule {i}: the payments module {TOPICS[i % len(TOPICS)]}",
                body=f"Item {i} about {TOPICS[i % len(TOPICS)]} in src/payments.",
                status="approved",
            )
            for i in range(count)
        ]
        vectors = lore.recall_service.embedder.embed([f"{d.title}\n{d.body}" for d in drafts])
        lore.store.graph.apply(
            project.id,
            Changeset(session_id=session.session_ids[0], nodes=drafts),
            vectors={d.ref: vectors[i] for i, d in enumerate(drafts)},
            embedding_model=lore.settings.embedding.model,
        )


TOPICS = ["retries with backoff", "stores amounts in cents", "logs every refund", "uses UTC"]


def _fixture(name: str, repo: Path) -> str:
    return (FIXTURES / f"{name}.json").read_text().replace(FIXTURE_REPO, str(repo))


def _short_prompt(repo: Path) -> str:
    return json.dumps(json.loads(_fixture("UserPromptSubmit", repo)) | {"prompt": SHORT_PROMPT})


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "runs": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ordered[-1], 1),
    }


def table(figures: dict[str, dict[str, float]]) -> str:
    lines = ["| hook | runs | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|"]
    for name, row in figures.items():
        if "p50_ms" in row:
            lines.append(
                f"| {name} | {row['runs']:.0f} | {row['p50_ms']} | {row['p95_ms']} | {row['max_ms']} |"
            )
    drain = figures["drain of spooled events, per event"]
    lines.append(
        f"\nDrain: {drain['runs']:.0f} spooled tool calls stored in {drain['total_ms']} ms"
        f" ({drain['per_event_ms']} ms per event), in the helper, off the agent's path."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
