"""Importing Claude Code transcripts: mapping, one session per transcript, resuming from the
stored byte offset, and no duplicates with what the hooks captured."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lore import Lore
from lore.domain import Project, SessionState
from lore.integrations.claude_code.transcripts import import_transcripts, transcript_dir

FIXTURES = Path(__file__).parent.parent / "fixtures" / "claude_code"
FIXTURE_REPO = "/home/dev/acme-api"
SESSION = "3f2b9a51-7c1e-4d2a-9b6e-0a8c5d4e7f10"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "acme-api"
    folder.mkdir()
    (folder / ".lore.toml").write_text('project = "acme"\n')
    return folder


@pytest.fixture
def acme(lore: Lore, repo: Path) -> Project:
    return lore.create_project("acme", repo=str(repo))


def transcript_lines(repo: Path) -> list[str]:
    text = (FIXTURES / "transcript.jsonl").read_text().replace(FIXTURE_REPO, str(repo))
    return text.splitlines(keepends=True)


def write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines))
    return path


def test_a_transcript_becomes_one_closed_session(lore: Lore, acme: Project, repo: Path) -> None:
    path = write(repo.parent / f"{SESSION}.jsonl", transcript_lines(repo))
    report = import_transcripts(lore, acme, path)
    assert (report.files, report.records, report.events) == (1, 13, 7)
    [session] = lore.sessions(acme, source="claude-code")
    assert report.sessions == [session.id] and session.state is SessionState.IDLE
    assert session.goal.startswith("Add retries with exponential backoff")
    events = lore.store.events.for_session(session.id)
    assert [e.type for e in events] == [
        "user_request",
        "agent_message",
        "step",
        "step",
        "step",
        "step",
        "agent_message",
    ]
    read, edit, mypy, pytest_run = (e.payload for e in events[2:6])
    assert read["files_read"] == ["src/payments/client.py"] and "3 lines" in read["result"]
    assert edit["files"] == ["src/payments/client.py"] and edit["error"] is False
    assert mypy["error"] is True and mypy["command"] == "mypy src/payments"
    assert pytest_run["error"] is False and "8 passed" in pytest_run["result"]
    assert events[0].occurred_at is not None
    assert "Compacted" not in str([e.payload for e in events])  # isMeta records skipped


def test_a_second_import_reads_nothing_new(lore: Lore, acme: Project, repo: Path) -> None:
    path = write(repo.parent / f"{SESSION}.jsonl", transcript_lines(repo))
    import_transcripts(lore, acme, path)
    again = import_transcripts(lore, acme, path)
    assert (again.records, again.events, again.sessions) == (0, 0, [])
    assert lore.store.events.count() == 7


def test_an_import_resumes_at_the_stored_offset(lore: Lore, acme: Project, repo: Path) -> None:
    lines = transcript_lines(repo)
    path = write(repo.parent / f"{SESSION}.jsonl", lines[:8])  # ends after a tool_use
    first = import_transcripts(lore, acme, path)
    write(path, lines)
    second = import_transcripts(lore, acme, path)
    assert first.events + second.events == 7
    assert lore.store.events.count() == 7
    # The pending Bash call held the offset before it: its pair was read whole the next time.
    assert second.records == 13 - 7


def test_a_line_still_being_written_waits(lore: Lore, acme: Project, repo: Path) -> None:
    lines = transcript_lines(repo)
    torn = lines[2][:40]  # the agent's first message, half written, no newline
    path = write(repo.parent / f"{SESSION}.jsonl", [*lines[:2], torn])
    assert import_transcripts(lore, acme, path).events == 1
    write(path, lines)
    assert import_transcripts(lore, acme, path).events == 6


def test_tool_calls_seen_by_the_hooks_are_not_stored_twice(
    lore: Lore, acme: Project, repo: Path
) -> None:
    from lore.integrations.claude_code import steps

    hooked = steps.step_event(
        "Edit",
        {"file_path": f"{repo}/src/payments/client.py"},
        {"filePath": f"{repo}/src/payments/client.py"},
        tool_use_id="toolu_01EditPaymentsClient0001",
        cwd=str(repo),
    )
    lore.capture_events([hooked], project=acme)
    path = write(repo.parent / f"{SESSION}.jsonl", transcript_lines(repo))
    assert import_transcripts(lore, acme, path).events == 6
    assert lore.store.events.count() == 7


def test_the_cli_imports_this_repositorys_transcripts(
    lore: Lore, acme: Project, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lore.cli.main import app

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write(transcript_dir(repo) / f"{SESSION}.jsonl", transcript_lines(repo))
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["import", "claude-code"])
    assert result.exit_code == 0, result.output
    assert "7 new events" in result.output
    assert str(transcript_dir(repo)).startswith(str(tmp_path / "home" / ".claude" / "projects"))
    assert transcript_dir(repo).name == str(repo).replace("/", "-").replace("_", "-")


def test_a_missing_folder_is_an_error_naming_it(acme: Project, repo: Path) -> None:
    from lore.cli.main import app

    result = CliRunner().invoke(
        app, ["import", "claude-code", str(repo / "nope"), "--project", "acme"]
    )
    assert result.exit_code == 1
    assert "no Claude Code transcripts" in result.output
