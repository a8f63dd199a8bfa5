"""``lore hook claude-code EVENT`` run as Claude Code runs it: a subprocess fed the hook JSON
(fixtures shaped like the real input) on stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lore import Lore
from lore.domain import SessionState
from lore.integrations.claude_code.hook import brief_path
from lore.recall.tokens import count_tokens
from lore.service import client
from tests.graph_seed import apply_items
from tests.service_helpers import wait_for

FIXTURES = Path(__file__).parent.parent / "fixtures" / "claude_code"
FIXTURE_REPO = "/home/dev/acme-api"
LORE = str(Path(sys.executable).with_name("lore"))


@pytest.fixture
def repo(tmp_path: Path, lore: Lore) -> Path:
    folder = tmp_path / "acme-api"
    folder.mkdir()
    (folder / ".lore.toml").write_text('project = "acme"\n')
    lore.create_project("acme", repo=str(folder))
    return folder


def hook(
    event: str,
    repo: Path,
    fixture: str | None = None,
    *,
    sync: bool = True,
    text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    raw = (
        text if text is not None else (FIXTURES / "hooks" / f"{fixture or event}.json").read_text()
    )
    env = os.environ | ({"LORE_HOOK_SYNC": "1"} if sync else {})
    return subprocess.run(
        [LORE, "hook", "claude-code", event],
        input=raw.replace(FIXTURE_REPO, str(repo)),
        capture_output=True,
        text=True,
        cwd=repo,
        env=env,
        timeout=120,
    )


@pytest.fixture
def service(lore_home: Path) -> Path:
    """The socket of the local service the hooks start (the home fixture stops it)."""
    return client.socket_path(lore_home)


def claude_sessions(lore: Lore) -> list:  # type: ignore[type-arg]
    return lore.sessions("acme", source="claude-code")


def test_a_claude_code_session_becomes_one_capture_session(lore: Lore, repo: Path) -> None:
    for event, fixture in [
        ("UserPromptSubmit", None),
        ("PostToolUse", "PostToolUse_Edit"),
        ("PostToolUse", "PostToolUse_Write"),
        ("PostToolUse", "PostToolUse_Bash"),
        ("PostToolUseFailure", None),
    ]:
        done = hook(event, repo, fixture)
        assert done.returncode == 0, done.stderr
    assert claude_sessions(lore) == []  # spooled, not stored yet
    assert hook("Stop", repo).returncode == 0
    [session] = claude_sessions(lore)
    assert session.state is SessionState.COLLECTING  # stored; the next turn joins it
    assert hook("SessionEnd", repo).returncode == 0

    [session] = claude_sessions(lore)
    assert session.state is SessionState.IDLE
    assert session.goal.startswith("Add retries with exponential backoff")
    events = lore.store.events.for_session(session.id)
    assert [e.type for e in events] == ["user_request", "step", "step", "step", "step"]
    edit, write, bash, failure = (e.payload for e in events[1:])
    assert edit["tool"] == "Edit" and edit["files"] == ["src/payments/client.py"]
    assert edit["input"] == "src/payments/client.py" and edit["error"] is False
    assert write["files"] == ["src/payments/retry.py"]
    assert write["result"].startswith("create ")
    assert bash["command"] == "pytest tests/payments -q" and "8 passed" in bash["result"]
    assert failure["error"] is True and "Exit code 1" in failure["result"]
    assert events[1].idempotency_key == "claude-code:tool:toolu_01EditPaymentsClient0001"


def test_tool_calls_only_touch_a_spool_file(lore: Lore, repo: Path, lore_home: Path) -> None:
    assert hook("PostToolUse", repo, "PostToolUse_Bash").returncode == 0
    spooled = list((lore_home / "spool" / "claude-code").glob("*.jsonl"))
    assert [p.name for p in spooled] == ["3f2b9a51-7c1e-4d2a-9b6e-0a8c5d4e7f10.jsonl"]
    record = json.loads(spooled[0].read_text())
    assert record["project"] == "acme" and record["event"]["payload"]["tool"] == "Bash"
    assert lore.store.events.count() == 0


def test_stop_drains_in_the_local_service(lore: Lore, repo: Path, service: Path) -> None:
    assert hook("PostToolUse", repo, "PostToolUse_Edit", sync=False).returncode == 0
    assert hook("Stop", repo, sync=False).returncode == 0  # starts the service, which drains

    def stored(count: int) -> bool:
        sessions = claude_sessions(lore)
        return bool(sessions) and sessions[0].event_count == count

    assert wait_for(lambda: stored(1), 60)
    assert wait_for(service.exists, 30)
    hook("PostToolUse", repo, "PostToolUse_Bash", sync=False)
    hook("Stop", repo, sync=False)  # the running service drains this turn into the session
    assert wait_for(lambda: stored(2), 60)
    assert len(claude_sessions(lore)) == 1


def test_the_local_service_answers_prompts(
    lore: Lore, repo: Path, lore_home: Path, service: Path
) -> None:
    retry, _ = seed_items(lore)
    first = hook("UserPromptSubmit", repo, sync=False)  # no service yet: answered in-process
    assert f"id {retry}" in first.stdout
    assert wait_for(service.exists, 60)
    second = hook("UserPromptSubmit", repo, sync=False)
    assert second.stdout == first.stdout
    prompt = "Add retries with exponential backoff to the payments client"
    asked = client.ask(
        lore_home,
        {"op": "relevant", "project": "acme", "cwd": str(repo), "prompt": prompt, "limit": 1000},
    )
    assert asked is not None and f"id {retry}" in asked["text"]


def test_turns_join_their_session_until_it_ends(lore: Lore, repo: Path) -> None:
    hook("PostToolUse", repo, "PostToolUse_Edit")
    hook("Stop", repo)
    hook("PostToolUse", repo, "PostToolUse_Bash")
    hook("Stop", repo)
    [session] = claude_sessions(lore)
    assert session.event_count == 2 and session.state is SessionState.COLLECTING
    hook("SessionEnd", repo)
    hook("PostToolUse", repo, "PostToolUse_Write")  # after the end: a new capture session
    hook("Stop", repo)
    first, second = sorted(claude_sessions(lore), key=lambda s: s.id)
    assert (first.event_count, first.state) == (2, SessionState.IDLE)
    assert (second.event_count, second.state) == (1, SessionState.COLLECTING)


def test_a_repeated_tool_call_is_stored_once(lore: Lore, repo: Path) -> None:
    hook("PostToolUse", repo, "PostToolUse_Edit")
    hook("Stop", repo)
    hook("PostToolUse", repo, "PostToolUse_Edit")
    hook("Stop", repo)
    assert lore.store.events.count() == 1


def test_short_prompts_are_captured_without_recall(lore: Lore, repo: Path) -> None:
    prompt = json.loads((FIXTURES / "hooks" / "UserPromptSubmit.json").read_text())
    done = hook("UserPromptSubmit", repo, text=json.dumps(prompt | {"prompt": "run the tests"}))
    assert done.returncode == 0 and done.stdout == ""
    hook("Stop", repo)
    [session] = claude_sessions(lore)
    assert lore.store.events.for_session(session.id)[0].payload["text"] == "run the tests"


def test_session_start_prints_the_cached_brief(repo: Path, lore_home: Path) -> None:
    path = brief_path(lore_home, "acme")
    path.parent.mkdir(parents=True)
    path.write_text("The brief the last drain wrote, within the project's budget.")
    done = hook("SessionStart", repo)
    assert done.returncode == 0
    assert done.stdout.strip() == path.read_text()


@pytest.mark.parametrize(
    ("event", "text"),
    [
        ("PostToolUse", "not json"),
        ("PostToolUse", "[1, 2]"),
        ("NoSuchEvent", "{}"),
        ("Stop", '{"session_id": 7, "cwd": 42}'),
    ],
)
def test_a_hook_never_fails_the_agent(repo: Path, event: str, text: str) -> None:
    done = hook(event, repo, text=text)
    assert done.returncode == 0 and done.stdout == ""


def test_failures_are_logged(repo: Path, lore_home: Path) -> None:
    hook("PostToolUse", repo, text="not json")
    assert "JSONDecodeError" in (lore_home / "logs" / "hooks.log").read_text()


def test_outside_a_lore_project_nothing_happens(tmp_path: Path, lore_home: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = hook("PostToolUse", elsewhere, "PostToolUse_Bash")
    assert done.returncode == 0
    assert not (lore_home / "spool").exists()


def test_records_of_an_unknown_project_are_dropped(lore: Lore, repo: Path) -> None:
    (repo / ".lore.toml").write_text('project = "not-created"\n')
    assert hook("PostToolUse", repo, "PostToolUse_Bash").returncode == 0
    assert hook("Stop", repo).returncode == 0
    assert lore.store.events.count() == 0


def test_the_full_cli_route_handles_hooks_too(repo: Path, lore_home: Path) -> None:
    """``lore --db X hook claude-code ...`` goes through typer rather than the fast path."""
    from typer.testing import CliRunner

    from lore.cli.main import app

    raw = (FIXTURES / "hooks" / "PostToolUse_Bash.json").read_text()
    result = CliRunner().invoke(
        app, ["hook", "claude-code", "PostToolUse"], input=raw.replace(FIXTURE_REPO, str(repo))
    )
    assert result.exit_code == 0, result.output
    assert list((lore_home / "spool" / "claude-code").glob("*.jsonl"))


def seed_items(lore: Lore) -> list[int]:
    """An approved convention about payment retries and a decision about timestamps."""
    from lore.domain.graph import NodeDraft

    drafts = [
        NodeDraft(
            ref="retry",
            kind="semantic",
            type="convention",
            title="Payments calls retry with exponential backoff",
            body="The payments client retries 5 times, 0.5 s doubling, capped at 20 s.",
            status="approved",
            files=["src/payments/client.py"],
        ),
        NodeDraft(
            ref="tz",
            kind="semantic",
            type="decision",
            title="Timestamps are stored in UTC",
            body="Every timestamp column holds UTC; conversion happens in the views.",
            status="approved",
        ),
    ]
    return apply_items(lore, lore.project("acme"), drafts)


def test_session_start_computes_and_caches_the_brief(
    lore: Lore, repo: Path, lore_home: Path
) -> None:
    seed_items(lore)
    done = hook("SessionStart", repo)
    assert done.returncode == 0
    assert "Payments calls retry with exponential backoff" in done.stdout
    budget = lore.project("acme").settings.session_start_tokens
    assert count_tokens(done.stdout.strip()) <= budget
    assert done.stdout.strip().endswith(f" of {budget} tokens)")  # what it cost
    assert brief_path(lore_home, "acme").read_text() == done.stdout.strip()


def test_session_start_keeps_to_the_projects_budget_and_says_what_it_left_out(
    lore: Lore, repo: Path, lore_home: Path
) -> None:
    seed_items(lore)
    lore.update_project("acme", session_start_tokens=40)
    done = hook("SessionStart", repo)
    assert count_tokens(done.stdout.strip()) <= 40
    assert "more lines: call get_memory" in done.stdout
    lore.update_project("acme", session_start_tokens=0)
    brief_path(lore_home, "acme").unlink()
    assert hook("SessionStart", repo).stdout.strip() == ""  # 0: no memory at session start


def test_session_start_prints_nothing_for_an_empty_memory(repo: Path) -> None:
    done = hook("SessionStart", repo)
    assert done.returncode == 0 and done.stdout == ""


def test_a_drain_refreshes_the_cached_brief(lore: Lore, repo: Path, lore_home: Path) -> None:
    assert hook("SessionStart", repo).stdout == ""
    seed_items(lore)
    hook("PostToolUse", repo, "PostToolUse_Bash")
    hook("Stop", repo)
    assert "Timestamps are stored in UTC" in brief_path(lore_home, "acme").read_text()


def test_a_long_prompt_prints_the_relevant_items(lore: Lore, repo: Path) -> None:
    retry, _ = seed_items(lore)
    done = hook("UserPromptSubmit", repo)
    assert done.returncode == 0
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "Relevant project memory (lore):"
    assert lines[1].startswith("- Payments calls retry with exponential backoff")
    assert f"id {retry}" in lines[1]
    assert len(done.stdout.strip()) <= 1000
