"""The git digest on real repositories: what a commit event holds, incremental runs, rewritten
history, merges, the empty repository, and secrets that must never reach the database file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lore import Lore, ValidationError
from lore.capture.git import STATE_KEY
from lore.config import load_settings
from lore.domain import Project
from tests.gitrepo import GitRepo
from tests.postgres import stored_bytes

ANTHROPIC_KEY = "sk-ant-api03-" + "Q" * 40
ENV_PASSWORD = "hunter2-env-only-value"
ASSIGNED_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


def commits_of(lore: Lore, event_ids: list[int]) -> list[dict[str, Any]]:
    events = [lore.store.events.get(event_id) for event_id in event_ids]
    assert all(e.source == "git" and e.type == "git_digest" for e in events)
    return [event.payload["commits"][0] for event in events]


def test_first_digest_captures_each_commit_with_files_and_diff(
    lore: Lore, project: Project, repo: GitRepo
) -> None:
    first = repo.commit("Add parser", {"src/parser.py": "def parse(text):\n    return []\n"})
    second = repo.commit(
        "Handle blank input\n\nBlank input returned None; callers expect a list.",
        {"src/parser.py": "def parse(text):\n    if not text:\n        return []\n    return []\n"},
    )
    result = lore.digest(repo.root, project=project)

    assert result.captured == 2 and result.commits == [first, second]
    assert result.message.startswith("digested 2 commits (first digest)")
    payloads = [lore.store.events.get(i).payload for i in result.event_ids]
    assert payloads[0]["repo"] == str(repo.root) and payloads[0]["branch"] == "main"
    older, newer = commits_of(lore, result.event_ids)
    assert older["sha"] == first and older["subject"] == "Add parser" and older["body"] == ""
    assert newer["subject"] == "Handle blank input"
    assert newer["body"] == "Blank input returned None; callers expect a list."
    assert newer["author"] == "Ada Lovelace" and newer["email"] == "ada@example.com"
    assert newer["date"][:4].isdigit() and newer["parents"] == [first] and not newer["merge"]
    assert newer["files"] == [{"path": "src/parser.py", "insertions": 2, "deletions": 0}]
    assert "+    if not text:" in newer["diff"]
    assert newer["diff"].startswith("diff --git a/src/parser.py b/src/parser.py")
    session = lore.session(lore.store.events.get(result.event_ids[0]).session_id)
    assert session.goal == "Add parser"  # what the session is about: its first commit
    session = lore.session(result.session_id or 0)
    assert session.source == "git" and session.event_count == 2
    assert lore.store.projects.get_state(project.id, STATE_KEY) == second


def test_the_next_digest_takes_only_new_commits_and_says_when_there_are_none(
    lore: Lore, project: Project, repo: GitRepo
) -> None:
    repo.commit("one", {"a.txt": "1\n"})
    lore.digest(repo.root, project=project)
    third = [repo.commit("two", {"a.txt": "2\n"}), repo.commit("three", {"a.txt": "3\n"})]

    again = lore.digest(repo.root, project=project)
    assert again.commits == third and again.captured == 2 and not again.fell_back
    assert lore.store.events.count(project.id) == 3

    idle = lore.digest(repo.root, project=project)
    assert idle.captured == 0 and idle.event_ids == []
    assert idle.message == f"no new commits since {third[1][:10]}"
    assert lore.store.events.count(project.id) == 3


def test_first_run_takes_the_configured_number_of_latest_commits(
    tmp_path: Path, repo: GitRepo
) -> None:
    shas = [repo.commit(f"commit {i}", {"n.txt": f"{i}\n"}) for i in range(7)]
    settings = load_settings(overrides={"capture.digest_first_run": 4})
    with Lore.open(settings=settings) as lore:
        project = lore.create_project("small-window")
        result = lore.digest(repo.root, project=project)
        assert result.commits == shas[-4:]
        assert [c["subject"] for c in commits_of(lore, result.event_ids)] == [
            "commit 3",
            "commit 4",
            "commit 5",
            "commit 6",
        ]


def test_rewritten_history_falls_back_to_the_latest_commits_without_storing_twice(
    lore: Lore, project: Project, repo: GitRepo
) -> None:
    kept = repo.commit("kept", {"a.txt": "a\n"})
    repo.commit("to be amended", {"b.txt": "b\n"})
    lore.digest(repo.root, project=project)
    repo.git("commit", "-q", "--amend", "-m", "amended message")
    repo.git("reflog", "expire", "--expire=now", "--all")
    repo.git("gc", "-q", "--prune=now")

    result = lore.digest(repo.root, project=project)
    assert result.fell_back and "no longer in the history of HEAD" in result.message
    assert result.commits == [kept, repo.head()]
    assert result.duplicates == 1 and result.captured == 1
    assert commits_of(lore, result.event_ids)[1]["subject"] == "amended message"
    assert lore.store.events.count(project.id) == 3


def test_merge_commits_list_their_parents_and_files_but_no_diff(
    lore: Lore, project: Project, repo: GitRepo
) -> None:
    base = repo.commit("base", {"main.txt": "main\n"})
    repo.git("checkout", "-q", "-b", "feature")
    feature = repo.commit("feature work", {"feature.txt": "feature\n"})
    repo.git("checkout", "-q", "main")
    mainline = repo.commit("mainline work", {"main.txt": "main 2\n"})
    repo.git("merge", "-q", "--no-ff", "--no-edit", "feature")

    result = lore.digest(repo.root, project=project)
    merge = commits_of(lore, result.event_ids)[-1]
    assert result.commits[0] == base and set(result.commits[1:3]) == {feature, mainline}
    assert merge["merge"] is True and merge["parents"] == [mainline, feature]
    assert merge["files"] == [{"path": "feature.txt", "insertions": 1, "deletions": 0}]
    assert merge["diff"] == ""


def test_renames_keep_the_old_path(lore: Lore, project: Project, repo: GitRepo) -> None:
    repo.commit("add", {"old_name.py": "x = 1\n" * 20})
    repo.git("mv", "old_name.py", "new_name.py")
    repo.commit("rename")
    result = lore.digest(repo.root, project=project)
    renamed = commits_of(lore, result.event_ids)[-1]["files"]
    assert renamed == [
        {"path": "new_name.py", "old_path": "old_name.py", "insertions": 0, "deletions": 0}
    ]


def test_an_empty_repository_stores_nothing(lore: Lore, project: Project, repo: GitRepo) -> None:
    result = lore.digest(repo.root, project=project)
    assert result.head is None and result.captured == 0
    assert result.message == "the repository has no commits yet"
    assert lore.store.events.count(project.id) == 0
    assert lore.store.projects.get_state(project.id, STATE_KEY) is None


def test_a_folder_outside_git_is_refused(lore: Lore, project: Project, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(ValidationError) as error:
        lore.digest(plain, project=project)
    assert error.value.field == "path"


def test_long_diffs_are_cut_and_excluded_files_do_not_use_the_budget(
    lore: Lore, project: Project, repo: GitRepo
) -> None:
    lock = "\n".join(f'"pkg-{i}": "1.0.{i}",' for i in range(2000))
    big = "\n".join(f"line_{i} = {i}" for i in range(2000))
    repo.commit(
        "Bump deps and add a table",
        {"package-lock.json": lock, "src/app.py": "print('hi')\n", "src/table.py": big},
    )
    commit = commits_of(lore, lore.digest(repo.root, project=project).event_ids)[0]
    diff = commit["diff"]
    assert "package-lock.json" not in diff and "pkg-1" not in diff
    assert "diff --git a/src/app.py b/src/app.py" in diff
    body, _, marker = diff.rpartition("\n[diff truncated: ")
    assert len(body) == lore.settings.capture.diff_max_chars
    assert int(marker.split()[0]) > 20_000
    paths = [f["path"] for f in commit["files"]]
    assert paths == ["package-lock.json", "src/app.py", "src/table.py"]


def test_secrets_in_diffs_messages_and_env_files_never_reach_the_database(
    lore: Lore, project: Project, repo: GitRepo, lore_home: Path
) -> None:
    github_token = "ghp_" + "a1B2c3D4e5" * 4
    repo.commit(
        f"Configure the client\n\nUsed token {github_token} while testing.",
        {
            ".env": f"DB_PASSWORD={ENV_PASSWORD}\n",
            "settings.py": f'ANTHROPIC_API_KEY = "{ANTHROPIC_KEY}"\n'
            f'password = "{ASSIGNED_PASSWORD}"\n'
            "DEBUG = True\n",
            "deploy.key": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n"
            "-----END OPENSSH PRIVATE KEY-----\n",
        },
    )
    # A token that straddles the cut at 3,000 characters (it starts 9 characters before it) must
    # not survive as a fragment too short for the patterns to recognise.
    padding = "x" * (lore.settings.capture.diff_max_chars - 150)
    straddling = "sk-proj-" + "Z9y8X7w6V5" * 6
    repo.commit("Pad", {"pad.py": f"PAD = '{padding}'\nclient_key = '{straddling}'\n"})
    result = lore.digest(repo.root, project=project)
    assert result.captured == 2
    configure, pad = commits_of(lore, result.event_ids)
    assert "DEBUG = True" in configure["diff"] and "[REDACTED]" in configure["diff"]
    assert ".env" in [f["path"] for f in configure["files"]]
    assert "diff --git a/.env" not in configure["diff"]
    assert "[diff truncated" in pad["diff"]
    lore.shutdown()

    stored = stored_bytes(lore_home)
    assert stored, "the database is where the test looks"
    for secret in (
        ENV_PASSWORD,
        ANTHROPIC_KEY,
        ASSIGNED_PASSWORD,
        github_token,
        "b3BlbnNzaC1rZXktdjEAAAA",
        straddling[:9],
    ):
        assert secret.encode() not in stored, secret


def test_more_history_by_revision_date_count_or_all_skipping_what_is_stored(
    tmp_path: Path, repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    shas = []
    for day in range(1, 9):  # one commit a day, 1 to 8 March 2024
        monkeypatch.setenv("GIT_AUTHOR_DATE", f"2024-03-0{day}T12:00:00+00:00")
        monkeypatch.setenv("GIT_COMMITTER_DATE", f"2024-03-0{day}T12:00:00+00:00")
        shas.append(repo.commit(f"day {day}", {"n.txt": f"{day}\n"}))
    settings = load_settings(overrides={"capture.digest_first_run": 2})
    with Lore.open(settings=settings) as lore:
        project = lore.create_project("history")
        assert lore.digest(repo.root, project=project).commits == shas[-2:]
        assert lore.digest(repo.root, project=project).captured == 0  # nothing new

        older = lore.digest(repo.root, project=project, since=shas[3])  # a revision
        assert older.commits == shas[4:] and older.captured == 2 and older.duplicates == 2
        dated = lore.digest(repo.root, project=project, since="2024-03-03T00:00:00")
        assert dated.commits == shas[2:] and dated.captured == 2
        assert dated.message == "digested 2 commits (4 already stored)"
        counted = lore.digest(repo.root, project=project, max_commits=7)
        assert counted.commits == shas[1:] and counted.captured == 1
        seen: list[tuple[int, int]] = []
        whole = lore.digest(
            repo.root, project=project, everything=True, progress=lambda *at: seen.append(at)
        )
        assert whole.commits == shas and whole.captured == 1 and seen[-1] == (8, 8)
        assert lore.store.events.count(project.id) == 8
        with pytest.raises(ValidationError, match="--max"):
            lore.digest(repo.root, project=project, max_commits=0)


def test_a_rebased_copy_of_a_stored_commit_is_not_stored_again(
    lore: Lore, project: Project, repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.commit("base", {"a.txt": "a\n"})
    stored = repo.commit("Cache the parser", {"parser.py": "cache = {}\n"})
    lore.digest(repo.root, project=project)
    # What a rebase does to a commit: a new committer date, so a new sha; the author, the
    # author date, the message and the files stay.
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2030-01-01T00:00:00+00:00")
    repo.git("commit", "-q", "--amend", "--no-edit")
    assert repo.head() != stored
    result = lore.digest(repo.root, project=project, everything=True)
    assert result.commits[-1] == repo.head() and result.captured == 0
    assert lore.store.events.count(project.id) == 2


def test_the_full_history_benchmark_digests_and_enriches_every_commit() -> None:
    from lore.bench.digest import report, run

    figures = run(commits=40, runs=2)
    assert len(figures.digest_s) == 2 and figures.enrich_s > 0 and figures.items >= 1
    assert "40 commits" in report(figures)
