"""``lore init / scan / digest / sessions`` and ``lore hook`` as a user runs them, in real
processes on a real repository; ``POST /projects/{ref}/digest`` and ``/scan`` on a real server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lore import Lore
from lore.config import load_settings
from lore.server import create_app
from tests.gitrepo import GitRepo
from tests.servers import running

HOOK_WAIT_S = 30.0


def lore_cli(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "lore", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    if check and done.returncode != 0:
        raise AssertionError(f"lore {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def git_events(lore_home: Path) -> list[dict[str, object]]:
    with Lore.open(settings=load_settings(overrides={"home": str(lore_home)})) as lore:
        sessions = lore.sessions(source="git")
        events = [e for s in sessions for e in lore.store.events.for_session(s.id)]
    return [e.payload["commits"][0] for e in events]


def wait_for_commits(lore_home: Path, count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + HOOK_WAIT_S
    while time.monotonic() < deadline:
        commits = git_events(lore_home)
        if len(commits) >= count:
            return commits
        time.sleep(0.2)
    log = lore_home / "logs" / "git-hook.log"
    raise AssertionError(
        f"the hook stored no commit; log: {log.read_text() if log.exists() else '-'}"
    )


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "shop")
    repo.commit("Add the app", {"app.py": "print('shop')\n", "README.md": "# Shop\n\n## Run\n"})
    repo.commit("Add tests", {"tests/test_app.py": "def test_app():\n    assert True\n"})
    return repo


def test_init_scan_digest_and_sessions_from_the_command_line(repo: GitRepo) -> None:
    init = lore_cli(repo.root, "init")
    assert "Project shop" in init.stdout and (repo.root / ".lore.toml").is_file()

    scan = lore_cli(repo.root, "scan")
    assert "Python" in scan.stdout and "Captured as event" in scan.stdout

    digest = lore_cli(repo.root, "digest")
    assert "digested 2 commits (first digest)" in digest.stdout
    again = lore_cli(repo.root, "digest")
    assert "no new commits" in again.stdout and "nothing stored" in again.stdout

    repo.commit("Fix the greeting", {"app.py": "print('hello shop')\n"})
    third = lore_cli(repo.root, "digest", "--json")
    assert '"captured": 1' in third.stdout

    sessions = lore_cli(repo.root, "sessions", "--json").stdout
    assert '"source": "git"' in sessions and '"source": "scan"' in sessions


def test_digest_outside_a_repository_fails_cleanly(tmp_path: Path, repo: GitRepo) -> None:
    lore_cli(repo.root, "init")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    done = lore_cli(repo.root, "digest", str(outside), "--project", "shop", check=False)
    assert done.returncode == 2 and "not inside a git repository" in done.stderr


def test_the_hook_digests_each_commit_in_the_background(repo: GitRepo, lore_home: Path) -> None:
    lore_cli(repo.root, "init")
    installed = lore_cli(repo.root, "hook", "install")
    assert "Installed" in installed.stdout

    started = time.monotonic()
    sha = repo.commit("Commit through the hook", {"app.py": "print('hooked')\n"})
    assert time.monotonic() - started < 5, "the hook must not hold the commit"

    commits = wait_for_commits(lore_home, 3)
    assert commits[-1]["sha"] == sha and commits[-1]["subject"] == "Commit through the hook"
    # The digest writes its line to the log after it stored the commit: wait for it too.
    log = lore_home / "logs" / "git-hook.log"
    deadline = time.monotonic() + HOOK_WAIT_S
    while "digested" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline, f"the hook logged no digest: {log.read_text()!r}"
        time.sleep(0.1)


def test_install_chains_an_existing_hook_and_uninstall_restores_it(
    repo: GitRepo, lore_home: Path
) -> None:
    lore_cli(repo.root, "init")
    hook = repo.root / ".git" / "hooks" / "post-commit"
    original = '#!/bin/sh\necho "$(git rev-parse HEAD)" >> "$(git rev-parse --git-dir)/seen"\n'
    hook.write_text(original)
    hook.chmod(0o755)

    assert "previous hook runs first" in lore_cli(repo.root, "hook", "install").stdout
    first_script = hook.read_text()
    assert "Updated" in lore_cli(repo.root, "hook", "install").stdout
    assert hook.read_text() == first_script
    assert (hook.parent / "post-commit.pre-lore").read_text() == original

    sha = repo.commit("Both hooks run", {"b.txt": "b\n"})
    assert wait_for_commits(lore_home, 3)[-1]["sha"] == sha
    assert (repo.root / ".git" / "seen").read_text().split() == [sha]

    assert "previous hook is back" in lore_cli(repo.root, "hook", "uninstall").stdout
    assert hook.read_text() == original
    assert not (hook.parent / "post-commit.pre-lore").exists()
    assert "nothing to do" in lore_cli(repo.root, "hook", "uninstall").stdout


def test_the_hook_skips_projects_with_auto_learn_off(repo: GitRepo, lore_home: Path) -> None:
    lore_cli(repo.root, "init")
    lore_cli(repo.root, "projects", "set", "--no-auto-learn")
    done = lore_cli(repo.root, "digest", "--hook")
    assert "auto-learn is off" in done.stdout
    assert git_events(lore_home) == []


def test_the_hook_waits_for_a_rebase_to_finish(repo: GitRepo, lore_home: Path) -> None:
    lore_cli(repo.root, "init")
    (repo.root / ".git" / "rebase-merge").mkdir()  # what git keeps while it rebases
    assert "a rebase is in progress" in lore_cli(repo.root, "digest", "--hook").stdout
    assert git_events(lore_home) == []
    (repo.root / ".git" / "rebase-merge").rmdir()
    assert "digested 2 commits" in lore_cli(repo.root, "digest", "--hook").stdout


def test_rest_digest_and_scan(lore: Lore, repo: GitRepo, tmp_path: Path) -> None:
    linked = lore.create_project("shop", repo=str(repo.root))
    lore.create_project("unlinked")
    with running(create_app(lore, token="secret-token")) as base_url:
        auth = {"authorization": "Bearer secret-token"}
        with httpx.Client(base_url=base_url + "/api/v1", headers=auth) as client:
            digest = client.post("/projects/shop/digest")
            assert digest.status_code == 202, digest.text
            assert digest.json()["captured"] == 2 and digest.json()["branch"] == "main"
            assert client.post("/projects/shop/digest").json()["captured"] == 0

            scan = client.post("/projects/shop/scan", params={"full": "true"})
            assert scan.status_code == 202
            assert scan.json()["payload"]["languages"]["Python"]["files"] == 2
            assert lore.store.events.get(scan.json()["event_id"]).type == "scan_result"

            missing = client.post("/projects/unlinked/scan")
            assert missing.status_code == 422 and missing.json()["error"]["field"] == "path"
            given = client.post("/projects/unlinked/scan", json={"path": str(repo.root)})
            assert given.status_code == 202
            not_git = client.post("/projects/unlinked/digest", json={"path": str(tmp_path)})
            assert not_git.status_code == 422
            assert httpx.post(base_url + "/api/v1/projects/shop/digest").status_code == 401
    assert lore.store.events.count(linked.id) == 3


def test_bench_ingest_reports_the_three_figures(tmp_path: Path) -> None:
    done = lore_cli(
        tmp_path, "bench", "ingest", "--events", "300", "--http-events", "200", "--single", "20",
        "--json",
    )  # fmt: skip
    figures = json.loads(done.stdout)
    assert figures["api_events"] == 300 and figures["http_events"] == 200
    assert figures["api_events_per_s"] > 0 and figures["http_events_per_s"] > 0
    assert 0 < figures["p50_ms"] <= figures["p99_ms"]
    assert set(figures["meets_targets"]) == {"api_events_per_s", "http_events_per_s", "p99_ms"}
