"""The local service for real: started by the CLI when it queues work, one per home, running
jobs whose callers have exited, taking over the jobs of a service that died, and stopping once
idle with nothing queued."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lore import Lore
from lore.config import load_settings
from lore.domain.jobs import STAGES, JobStatus
from lore.service import client
from tests.gitrepo import GitRepo
from tests.service_helpers import stop_service, wait_for

LORE = [sys.executable, "-m", "lore"]


@pytest.fixture(autouse=True)
def autostart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LORE_SERVICE__AUTOSTART", "1")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "shop")
    repo.commit("Add the cart", {"cart.py": "def total(items):\n    return sum(items)\n"})
    repo.commit(
        "Switch prices to integer cents\n\nFloats drifted by a cent on large orders.",
        {"cart.py": "def total(items):\n    return sum(round(i * 100) for i in items)\n"},
    )
    return repo


def lore(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LORE, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def status(cwd: Path) -> dict:  # type: ignore[type-arg]
    done = lore("status", "--json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_work_queued_by_a_command_that_exits_runs_in_the_service(
    repo: GitRepo, lore_home: Path
) -> None:
    assert lore("init", cwd=repo.root).returncode == 0
    digested = lore("digest", cwd=repo.root)  # queues an auto-learn job, then exits
    assert digested.returncode == 0, digested.stderr

    def completed() -> bool:
        return status(repo.root)["jobs"]["completed"] == 1

    assert wait_for(completed, 90), status(repo.root)
    report = status(repo.root)
    assert report["service"]["pid"] != os.getpid()
    assert report["service"]["databases"] == [str(lore_home / "lore.db")]
    [job] = report["last_jobs"]
    assert job["status"] == "completed" and job["items"] >= 1 and job["trigger"] == "auto_learn"
    found = lore("search", "why integer cents", cwd=repo.root)
    assert "integer cents" in found.stdout


def test_one_service_per_home(lore_home: Path, tmp_path: Path) -> None:
    for _ in range(3):
        client.spawn(lore_home, str(tmp_path))
    assert wait_for(client.socket_path(lore_home).exists, 60)
    first = client.ask(lore_home, {"op": "status"})
    assert first is not None
    assert wait_for(lambda: _services(lore_home) == 1, 30)
    assert client.ask(lore_home, {"op": "status"}) == first
    assert client.ask(lore_home, {"op": "nonsense"}) == {"error": "unknown op 'nonsense'"}
    assert oct(client.socket_path(lore_home).stat().st_mode & 0o777) == "0o600"


def test_a_crashed_service_is_replaced_and_its_job_taken_over(
    lore_home: Path, tmp_path: Path
) -> None:
    with Lore.open(settings=load_settings(overrides={"pipeline.in_process_worker": False})) as lore:
        project = lore.create_project("shop")
        result = lore.capture_event(
            "cli", "note", {"text": "Prices are integer cents"}, project=project
        )
        session_id = result.session_ids[0]
        lore.close(session_id)
        lore.store.jobs.enqueue(project.id, session_id, "manual", STAGES, max_attempts=3,
                                run_after=0.0, now=0.0)  # fmt: skip
        # A service that died while running the job: its lease names a process that is gone.
        dead = f"{socket.gethostname()}:{_dead_pid()}:gone"
        job = lore.store.jobs.claim(dead, 3600.0, now=1.0)
        assert job is not None and job.status is JobStatus.PROCESSING
        lore.jobs.ensure_runner()  # what `lore status` or the MCP server does on start
        assert wait_for(lambda: lore.job(job.id).finished, 90), lore.job(job.id)
        assert lore.job(job.id).status is JobStatus.COMPLETED
    pid = client.ask(lore_home, {"op": "status"})["pid"]  # type: ignore[index]
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: not client.running(lore_home), 30)
    client.spawn(lore_home, str(tmp_path))  # the next caller: the stale socket is replaced
    assert wait_for(lambda: client.ask(lore_home, {"op": "status"}) is not None, 60)


def test_the_service_stops_when_idle_with_nothing_queued(
    lore_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LORE_SERVICE__IDLE_S", "1")
    client.spawn(lore_home, str(tmp_path))
    assert wait_for(client.socket_path(lore_home).exists, 60)
    assert wait_for(lambda: not client.running(lore_home), 30)
    assert not client.socket_path(lore_home).exists()
    stop_service(lore_home)  # nothing to do


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def _services(home: Path) -> int:
    """Processes running the service of ``home`` (the extra ones exit at once)."""
    done = subprocess.run(["pgrep", "-f", f"lore.service.daemon {home}"],
                          capture_output=True, text=True)  # fmt: skip
    return len(done.stdout.split())


def test_a_claude_code_session_becomes_memory_with_nothing_else_run(tmp_path: Path) -> None:
    """The documented hook inputs replayed as a session, as Claude Code runs them; then only
    `lore search`, which finds the session within a minute."""
    from tests.integration.test_claude_code_hooks import hook

    folder = tmp_path / "acme-api"
    folder.mkdir()
    assert lore("init", "--name", "acme", "--no-git", cwd=folder).returncode == 0
    for event, fixture in [
        ("SessionStart", None),
        ("UserPromptSubmit", None),
        ("PostToolUse", "PostToolUse_Edit"),
        ("PostToolUse", "PostToolUse_Bash"),
        ("PostToolUseFailure", None),
        ("Stop", None),
        ("SessionEnd", None),
    ]:
        assert hook(event, folder, fixture, sync=False).returncode == 0

    def found() -> bool:
        done = lore("search", "exponential backoff payments client", cwd=folder)
        return "src/payments/client.py" in done.stdout

    assert wait_for(found, 60)
    jobs = status(folder)["last_jobs"]
    assert jobs and all(job["trigger"] == "auto_learn" for job in jobs), jobs


def test_commands_run_in_the_service_answer_as_they_would_here(
    tmp_path: Path, lore_home: Path
) -> None:
    folder = tmp_path / "shop"
    folder.mkdir()
    assert lore("init", "--name", "shop", "--no-git", cwd=folder).returncode == 0
    saved = lore("save", "Prices are integer cents", "-d", "Floats drifted by a cent", cwd=folder)
    assert saved.returncode == 0, saved.stderr
    assert wait_for(lambda: status(folder)["jobs"]["completed"] >= 1, 90)
    log = lore_home / "logs" / "service.log"

    served = lore("search", "integer cents", "--json", cwd=folder)
    assert served.returncode == 0, served.stderr
    assert "command: lore search" in log.read_text()
    elsewhere = subprocess.run(  # the caller's LORE_* variables apply, not the service's
        [*LORE, "search", "integer cents", "--json"], cwd=tmp_path, capture_output=True,
        text=True, env=os.environ | {"LORE_PROJECT": "shop"}, timeout=60,
    )  # fmt: skip
    missing = lore("search", "integer cents", "--project", "nope", cwd=folder)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert "no project named 'nope'" in missing.stderr

    stop_service(lore_home)
    alone = subprocess.run(
        [*LORE, "search", "integer cents", "--json"], cwd=folder, capture_output=True,
        text=True, env=os.environ | {"LORE_SERVICE__AUTOSTART": "0"}, timeout=60,
    )  # fmt: skip
    assert not client.running(lore_home)  # answered here, and no service started
    ids = [[hit["id"] for hit in json.loads(done.stdout)] for done in (served, elsewhere, alone)]
    assert ids[0] and ids[0] == ids[1] == ids[2]


def test_the_cli_benchmark_times_commands_with_and_without_the_service() -> None:
    from lore.bench.cli import report, run

    figures = run(items=50, runs=2)
    assert len(figures.warm_ms) == len(figures.cold_ms) == 2
    assert min(figures.warm_ms + figures.cold_ms) > 0
    assert "warm (the service answers)" in report(figures)


def test_an_agent_that_closes_its_session_and_leaves_is_remembered(tmp_path: Path) -> None:
    """An MCP client calls close_session and disconnects at once: the service finishes the
    work, and the next client finds the session's facts."""
    import asyncio

    from mcp.client import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    folder = tmp_path / "shop"
    folder.mkdir()
    assert lore("init", "--name", "shop", "--no-git", cwd=folder).returncode == 0
    env = {k: v for k, v in os.environ.items() if k.startswith("LORE_")}
    server = StdioServerParameters(command=sys.executable, args=["-m", "lore", "mcp"], env=env,
                                   cwd=folder)  # fmt: skip

    async def work_and_leave() -> None:
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            started = await session.call_tool("start_session", {"goal": "Fix rounding"})
            sid = started.structured_content["session_id"]  # type: ignore[index]
            for observation, action in [
                ("Totals drift by a cent on large orders.", "Read cart.py: prices are floats."),
                ("Floats cannot hold cents exactly.", "Switched prices to integer cents."),
            ]:
                await session.call_tool(
                    "append", {"session_id": sid, "observation": observation, "action": action}
                )
            await session.call_tool("close_session", {"session_id": sid})

    asyncio.run(work_and_leave())

    def found() -> bool:
        done = lore("search", "integer cents rounding", "--json", cwd=folder)
        return done.returncode == 0 and "integer cents" in done.stdout

    assert wait_for(found, 60)
