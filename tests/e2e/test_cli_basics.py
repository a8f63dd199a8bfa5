"""The `lore` command as a user runs it: a real process in a real git repository."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

LORE = [sys.executable, "-m", "lore"]


def lore(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LORE, *args], cwd=cwd, capture_output=True, text=True, input=stdin, env=os.environ
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def test_init_links_the_repository_and_creates_a_private_token(repo: Path, lore_home: Path) -> None:
    result = lore("init", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert (repo / ".lore.toml").read_text().startswith('project = "shop"')
    token = lore_home / "token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert lore("token", cwd=repo).stdout.strip() == token.read_text().strip()
    shown = lore("projects", "show", cwd=repo)
    assert "shop" in shown.stdout and str(repo) in shown.stdout
    assert lore("init", cwd=repo).returncode == 0  # idempotent


def test_capture_save_and_sessions(repo: Path) -> None:
    lore("init", cwd=repo)
    captured = lore("capture", "note", '{"text": "we pin numpy"}', cwd=repo)
    assert captured.returncode == 0, captured.stderr
    session_id = json.loads(captured.stdout)["session_id"]
    assert lore("save", "Moved auth to JWT", "-d", "JWT: stateless", cwd=repo).returncode == 0
    listed = json.loads(lore("sessions", "--json", cwd=repo).stdout)
    assert {s["source"] for s in listed} == {"cli"}
    assert listed[0]["event_count"] == 2 and listed[0]["status"] == "active"
    shown = lore("sessions", "show", str(session_id), cwd=repo)
    assert "session_save" in shown.stdout and "we pin numpy" in shown.stdout
    assert lore("sessions", "close", str(session_id), cwd=repo).returncode == 0
    assert json.loads(lore("sessions", "--json", cwd=repo).stdout)[0]["status"] == "completed"


def test_bad_input_gets_a_message_and_a_nonzero_exit(repo: Path) -> None:
    lore("init", cwd=repo)
    bad_json = lore("capture", "note", "{nope", cwd=repo)
    assert bad_json.returncode == 2 and "not valid JSON" in bad_json.stderr
    bad_tier = lore("projects", "set", "--tier", "huge", cwd=repo)
    assert bad_tier.returncode == 2 and "model_tier" in bad_tier.stderr
    missing = lore("sessions", "show", "999", cwd=repo)
    assert missing.returncode == 1 and "no session with id 999" in missing.stderr


def test_commands_outside_a_project_say_what_to_do(tmp_path: Path) -> None:
    result = lore("save", "something", cwd=tmp_path)
    assert result.returncode == 1 and "lore init" in result.stderr


def test_enrich_all_generates_memory_for_every_waiting_session(repo: Path) -> None:
    lore("init", cwd=repo)
    lore("save", "Moved auth to JWT", "-d", "Use JWT for the API: it is stateless", cwd=repo)
    lore("capture", "note", '{"text": "x"}', "--source", "vscode", cwd=repo)
    # Auto-learn queued a job for each session already: they are waited for, not skipped.
    queued = lore("enrich", "--all", cwd=repo)
    assert "Nothing to enrich" not in queued.stdout and queued.stdout.count("Queued job") == 2
    done = lore("enrich", "--all", "--wait", "--json", cwd=repo)
    assert done.returncode == 0, done.stderr
    jobs = json.loads(lore("jobs", "--json", cwd=repo).stdout)
    sessions = json.loads(lore("sessions", "--json", cwd=repo).stdout)
    assert all(s["enriched"] for s in sessions), sessions
    assert sum(s["items_extracted"] for s in sessions) >= 1
    assert jobs and all(job["status"] == "completed" for job in jobs)
    again = lore("enrich", "--all", cwd=repo)
    assert again.returncode == 0 and "Nothing to enrich" in again.stdout
    both = lore("enrich", "1", "--all", cwd=repo)
    assert both.returncode == 2 and "not both" in both.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "lore.example"])
def test_serving_beyond_this_machine_needs_expose(repo: Path, host: str) -> None:
    refused = lore("serve", "--host", host, cwd=repo)
    assert refused.returncode == 2
    assert "--expose" in refused.stderr and host in refused.stderr


def test_loopback_addresses_need_no_flag() -> None:
    from lore.cli.serve import is_loopback

    assert all(map(is_loopback, ["127.0.0.1", "127.8.0.1", "::1", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "10.0.0.1", "example.com"]))


def said(result: subprocess.CompletedProcess[str]) -> str:
    """What a command wrote to stderr, its lines unwrapped."""
    return " ".join(result.stderr.split())


def test_the_cli_never_misleads(repo: Path, tmp_path: Path) -> None:
    """Each case a user met that once answered wrongly or not at all (issue 16)."""
    lore("init", cwd=repo)
    nothing = lore("enrich", cwd=repo)
    assert nothing.returncode == 2 and "give a SESSION to enrich, or --all" in said(nothing)
    zero = lore("search", "anything", "-n", "0", cwd=repo)
    assert zero.returncode == 2 and "-n" in said(zero)
    ghost = lore("save", "Moved auth to JWT", "-f", "src/nope.py", cwd=repo)
    assert ghost.returncode == 2 and "no such file: src/nope.py" in said(ghost)
    (repo / "src").mkdir()
    (repo / "src" / "auth.py").write_text("")
    assert lore("save", "Moved auth to JWT", "-f", "src/auth.py", cwd=repo).returncode == 0

    folder = tmp_path / "notes"
    folder.mkdir()
    outside = lore("init", cwd=folder)
    assert outside.returncode == 2 and "not in a git repository" in said(outside)
    assert not (folder / ".lore.toml").exists()
    assert lore("init", "--no-git", cwd=folder).returncode == 0

    typo = tmp_path / "lore-typo.db"
    mistyped = lore("--db", str(typo), "projects", "list", cwd=repo)
    assert mistyped.returncode == 2 and "--create" in said(mistyped) and not typo.exists()
    made = lore("--db", str(typo), "--create", "projects", "list", cwd=repo)
    assert made.returncode == 0 and typo.is_file()
    assert lore("--db", str(typo), "projects", "list", cwd=repo).returncode == 0


def test_serve_on_a_busy_port_fails_before_saying_it_serves(repo: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = lore("serve", "--port", str(port), cwd=repo)
    assert busy.returncode == 2
    assert f"cannot serve on 127.0.0.1:{port}" in said(busy)
    assert "lore serving" not in busy.stdout
