"""Claude Code hook latency: ``lore hook claude-code EVENT`` run as Claude Code runs it (a new
process fed the hook JSON on stdin), timed from spawn to exit.

Usage: python benchmarks/hooks.py [--runs 200] [--json]

Each event runs against a fresh lore home with one project, using the hook input fixtures of
``tests/fixtures/claude_code/hooks``. Also timed: an empty Python process (the floor of any
hook written in Python) and the background drain that stores the spooled events.
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
    _create_project(env, repo)
    brief = home / "cache" / "brief" / "acme.md"
    brief.parent.mkdir(parents=True)
    brief.write_text("A cached brief.\n" * 50)
    few = max(runs // 10, 5)
    cases: list[tuple[str, str, str, int]] = [
        ("python -c pass (floor)", "", "", runs),
        ("PostToolUse (Edit)", "PostToolUse", _fixture("PostToolUse_Edit", repo), runs),
        ("PostToolUse (Bash)", "PostToolUse", _fixture("PostToolUse_Bash", repo), runs),
        ("UserPromptSubmit, short prompt", "UserPromptSubmit", _short_prompt(repo), few),
        ("UserPromptSubmit, recall", "UserPromptSubmit", _fixture("UserPromptSubmit", repo), few),
        ("SessionStart, cached brief", "SessionStart", _fixture("SessionStart", repo), few),
        ("Stop (drain in background)", "Stop", _fixture("Stop", repo), few),
    ]
    figures = {}
    for name, event, payload, count in cases:
        command = (
            [sys.executable, "-c", "pass"] if not event else [LORE, "hook", "claude-code", event]
        )
        figures[name] = _stats([_timed(command, payload, env, repo) for _ in range(count)])
    figures["drain of spooled events, per event"] = _drain_cost(env, repo, runs)
    return figures


def _timed(command: list[str], payload: str, env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, input=payload, text=True, env=env, cwd=cwd, capture_output=True, check=True
    )
    return (time.perf_counter() - start) * 1000


def _drain_cost(env: dict[str, str], repo: Path, runs: int) -> dict[str, float]:
    """Spool ``runs`` distinct tool calls, then time one synchronous drain of them all."""
    raw = json.loads(_fixture("PostToolUse_Bash", repo))
    for index in range(runs):
        payload = json.dumps(raw | {"tool_use_id": f"toolu_bench_{index}", "session_id": "bench"})
        subprocess.run(
            [LORE, "hook", "claude-code", "PostToolUse"],
            input=payload,
            text=True,
            env=env,
            cwd=repo,
            check=True,
        )
    stop = json.dumps(json.loads(_fixture("Stop", repo)) | {"session_id": "bench"})
    elapsed = _timed(
        [LORE, "hook", "claude-code", "Stop"], stop, env | {"LORE_HOOK_SYNC": "1"}, repo
    )
    return {"runs": runs, "total_ms": round(elapsed, 1), "per_event_ms": round(elapsed / runs, 2)}


def _create_project(env: dict[str, str], repo: Path) -> None:
    subprocess.run(
        [LORE, "init", "--name", "acme", str(repo)],
        env=env,
        cwd=repo,
        check=True,
        capture_output=True,
    )


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
        f"\nDrain: {drain['runs']:.0f} spooled tool calls stored in {drain['total_ms']} ms ({drain['per_event_ms']} ms per event, in the background)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
