"""The offline extractor on real inputs: a real repository's scan and git history, saved
sessions, and agent steps. Items must be useful and true to their evidence: every quote is found
in the event it cites, and the facts say what the events say."""

from __future__ import annotations

from pathlib import Path

import pytest

from lore import Lore
from lore.capture.git import read_commits
from lore.capture.scan import describe_repository
from lore.domain import Event
from lore.extraction.events_text import event_text, normalise, quote_found
from lore.extraction.offline import Options, extract
from lore.extraction.prompts_enrich import ExtractedItem
from lore.integrations.claude_code.transcripts import import_transcripts
from tests.pipeline_helpers import event, shop_repo

FIXTURES = Path(__file__).parents[1] / "fixtures" / "claude_code"


def quotes_hold(items: list[ExtractedItem], events: list[Event]) -> None:
    texts = {e.id: normalise(event_text(e)) for e in events}
    for item in items:
        assert item.evidence, item.title
        for ref in item.evidence:
            assert quote_found(ref.quote, texts[ref.event_id]), (item.title, ref.quote)


def by_title(items: list[ExtractedItem], start: str) -> ExtractedItem:
    found = [item for item in items if item.title.startswith(start)]
    assert found, f"no item starting {start!r} in {[i.title for i in items]}"
    return found[0]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return shop_repo(tmp_path / "shop").root


def test_a_scan_gives_the_stack_dependencies_commands_layout_and_overview(shop: Path) -> None:
    scan = event(1, "scan_result", describe_repository(shop), source="scan")
    items = extract([scan], Options(package="shop"))
    quotes_hold(items, [scan])

    stack = by_title(items, "shop: Python stack")
    assert "FastAPI" in stack.title and stack.schema_key == "root/stack"
    assert any("Web: FastAPI (from pyproject.toml)" in fact for fact in stack.facts)
    assert "Requires Python >=3.11." in stack.facts

    deps = by_title(items, "Dependencies declared in pyproject.toml")
    assert deps.facts[0] == "Runtime dependencies: fastapi >=0.110, sqlalchemy >=2.0, httpx >=0.27."
    assert "pytest >=8" in deps.facts[1] and deps.schema_key == "root/dependencies"

    tests = by_title(items, "Run the tests: `make test`")
    assert tests.kind == "procedure" and tests.instruction == "make test"
    assert tests.facts == ["`make test` runs `pytest -q` (defined in Makefile)."]
    assert by_title(items, "Lint the code: `make lint`").instruction == "make lint"

    layout = by_title(items, "Repository layout of shop")
    assert any(fact.startswith("Top-level folders: app/") for fact in layout.facts)
    overview = by_title(items, "What shop is")
    assert overview.facts[0].startswith("A small web shop API: users and orders")
    assert {item.dedup_hint for item in items} >= {"scan:stack", "scan:layout", "scan:overview"}


def test_commits_give_decisions_and_bug_fixes_with_their_files(shop: Path) -> None:
    commits = read_commits(shop, ["HEAD"], 3000, [])
    events = [
        event(n, "git_digest", {"commits": [c], "repo": str(shop), "branch": "main"}, "git")
        for n, c in enumerate(commits, start=1)
    ]
    items = extract(events, Options(package="shop"))
    quotes_hold(items, events)

    fix = by_title(items, "Email column too short")
    assert fix.type == "bug" and fix.files == ["app/models.py"]
    assert fix.schema_key == "root/models" and fix.commit == commits[2]["sha"]
    assert (
        "Emails up to 320 characters were cut at 200, so sign-up failed for long addresses."
        in fix.facts
    )
    assert fix.rationale == "Widen the column and index it because lookups by email are hot."
    assert f"Fixed in commit {commits[2]['sha'][:10]}." in fix.facts

    switch = by_title(items, "Switch payments from requests to httpx")
    assert switch.type == "decision" and switch.files == ["app/payments.py"]
    assert switch.rationale.startswith("Blocking requests calls stalled the event loop")

    feature = by_title(items, "Delete endpoint for users")
    assert feature.type == "implementation" and feature.files == ["app/api/users.py"]
    assert feature.schema_key == "root/api/users" and "users" in feature.tags


def test_merges_and_chores_are_not_items() -> None:
    commits = [
        {"sha": "a" * 40, "subject": "Merge branch 'main' into feature", "merge": True},
        {"sha": "b" * 40, "subject": "chore: bump version to 1.2.3"},
        {"sha": "c" * 40, "subject": "docs: typo"},
        {"sha": "d" * 40, "subject": "wip"},
    ]
    events = [event(n, "git_digest", {"commits": [c]}, "git") for n, c in enumerate(commits, 1)]
    assert extract(events) == []


def test_trivial_commits_make_no_item() -> None:
    commits = [
        {"sha": "a" * 40, "subject": "Fix typos in the tutorial", "files": [{"path": "docs/t.md"}]},
        {"sha": "b" * 40, "subject": "Reformat with black", "files": [{"path": "src/a.py"}]},
        {"sha": "c" * 40, "subject": "Bump version to 3.1.0", "files": [{"path": "pyproject.toml"}]},
        {"sha": "d" * 40, "subject": "Prepare release 3.1", "files": [{"path": "src/a.py"}]},
        {"sha": "e" * 40, "subject": "Move the 3.0 entries under their heading",
         "files": [{"path": "CHANGES.rst"}]},
    ]  # fmt: skip
    events = [event(n, "git_digest", {"commits": [c]}, "git") for n, c in enumerate(commits, 1)]
    assert extract(events) == []


def test_a_commit_says_why_from_its_changelog_references_and_diff() -> None:
    diff = (
        "diff --git a/src/flask/config.py b/src/flask/config.py\n"
        "@@ -10,6 +10,7 @@ def from_file(self, filename):\n+        if not data:\n"
        "@@ -80,3 +81,4 @@ class Config(dict):\n+    pass\n"
        "diff --git a/tests/test_config.py b/tests/test_config.py\n"
        "@@ -1,2 +1,3 @@ def test_from_file():\n+    assert True\n"
        "diff --git a/CHANGES.rst b/CHANGES.rst\n"
        "+-   ``Config.from_file`` reads an empty file as an empty mapping. :issue:`2121`\n"
    )
    commit = {
        "sha": "f" * 40, "subject": "Closes #2121.", "body": "", "diff": diff,
        "files": [{"path": "tests/test_config.py"}, {"path": "src/flask/config.py"},
                  {"path": "CHANGES.rst"}],
    }  # fmt: skip
    [item] = extract([event(1, "git_digest", {"commits": [commit]}, "git")])
    assert item.title.startswith("``Config.from_file`` reads an empty file")
    assert item.schema_key == "root/flask/config"  # from the code, not the tests it touches
    assert "Changed: from_file(), Config() in src/flask/config.py." in item.facts
    assert "Issues and pull requests: #2121." in item.facts
    assert set(item.files) == {"tests/test_config.py", "src/flask/config.py", "CHANGES.rst"}


def test_a_saved_session_becomes_items_of_each_category() -> None:
    save = event(
        1,
        "session_save",
        {
            "summary": "Moved authentication to JWT. Refresh tokens rotate on every use.",
            "decisions": ["JWT over server sessions: the API must stay stateless"],
            "bugs": ["Token refresh looped when the clock was skewed; now allows 30 s of skew"],
            "todos": [
                {"title": "Revoke tokens on password change", "files": ["app/auth/tokens.py"]}
            ],
            "conventions": ["Handlers return problem+json errors"],
            "files": ["app/auth/jwt.py"],
        },
    )
    items = extract([save])
    quotes_hold(items, [save])
    assert [item.type for item in items] == [
        "implementation",
        "decision",
        "convention",
        "bug",
        "todo",
    ]
    summary = items[0]
    assert summary.title == "Moved authentication to JWT"
    assert summary.facts == ["Moved authentication to JWT.", "Refresh tokens rotate on every use."]
    decision = by_title(items, "JWT over server sessions")
    assert decision.rationale == "the API must stay stateless"
    assert decision.files == ["app/auth/jwt.py"] and decision.schema_key == "root/auth/jwt"
    todo = by_title(items, "Revoke tokens on password change")
    assert todo.files == ["app/auth/tokens.py"] and todo.schema_key == "root/auth/tokens"


def test_a_remembered_fact_keeps_its_kind() -> None:
    remember = event(
        1, "remember", {"text": "We deploy on Fridays only after 2 pm", "kind": "decision"}
    )
    (item,) = extract([remember])
    assert item.type == "decision" and item.title == "We deploy on Fridays only after 2 pm"


def step(event_id: int, command: str, result: str, error: bool = False) -> Event:
    payload = {
        "tool": "Bash",
        "input": command,
        "command": command,
        "result": result,
        "error": error,
    }
    return event(event_id, "step", payload, "claude-code")


def edit(event_id: int, path: str) -> Event:
    payload = {
        "tool": "Edit",
        "input": path,
        "result": f"edit {path}",
        "error": False,
        "files": [path],
    }
    return event(event_id, "step", payload, "claude-code")


def test_a_failing_command_then_a_working_one_is_a_procedure() -> None:
    events = [
        step(1, "pytest -q", "bash: pytest: command not found", error=True),
        edit(2, "README.md"),
        step(3, "uv run pytest -q", "12 passed in 0.41s"),
    ]
    (procedure,) = extract(events)
    quotes_hold([procedure], events)
    assert procedure.kind == "procedure" and procedure.type == "convention"
    assert procedure.title == "Run the tests: `uv run pytest -q`"
    assert procedure.instruction == "uv run pytest -q"
    assert procedure.condition == "when `pytest -q` fails with bash: pytest: command not found"
    assert procedure.expected_outcome == "12 passed in 0.41s"
    assert [ref.event_id for ref in procedure.evidence] == [1, 3]


def test_the_same_command_passing_after_edits_is_a_fixed_bug() -> None:
    events = [
        step(
            1,
            "pytest tests/test_users.py",
            "E   KeyError: 'email'\nFAILED tests/test_users.py::test_create - KeyError",
            error=True,
        ),
        edit(2, "app/api/users.py"),
        step(3, "pytest tests/test_users.py", "1 passed"),
    ]
    (bug,) = extract(events)
    quotes_hold([bug], events)
    assert bug.type == "bug" and bug.files == ["app/api/users.py"]
    assert bug.title.startswith("Fixed: FAILED tests/test_users.py::test_create - KeyError")
    assert bug.facts[1] == "Editing app/api/users.py fixed it: the same command then passed."


def test_a_flaky_command_that_passes_again_without_edits_teaches_nothing() -> None:
    events = [step(1, "make test", "1 failed", error=True), step(2, "make test", "3 passed")]
    assert extract(events) == []


@pytest.mark.parametrize(
    ("said", "rule"),
    [
        (
            "No, don't use requests here. We use httpx everywhere because it does HTTP/2.",
            "don't use requests here",
        ),
        ("Use pnpm instead of npm in this repo", "Use pnpm instead of npm in this repo"),
        ("Always run ruff before committing", "Always run ruff before committing"),
        ("Please never commit to main directly", "never commit to main directly"),
    ],
)
def test_user_corrections_become_conventions(said: str, rule: str) -> None:
    request = event(1, "user_request", {"text": said}, "claude-code")
    items = extract([request])
    quotes_hold(items, [request])
    assert items and all(item.type == "convention" for item in items)
    assert any(rule.lower() in item.facts[0].lower() for item in items)


def test_a_correction_keeps_its_reason_and_files() -> None:
    request = event(
        1,
        "user_request",
        {
            "text": "Don't mock the database in tests/test_orders.py, because the migrations must run."
        },
    )
    (item,) = extract([request])
    assert item.title == "Don't mock the database in tests/test_orders.py"
    assert item.rationale == "because the migrations must run."
    assert item.files == ["tests/test_orders.py"]


@pytest.mark.parametrize(
    "said",
    [
        "I don't know why this fails",
        "Can you fix the login test?",
        "Thanks, looks good",
        "Run the tests",
    ],
)
def test_ordinary_requests_are_not_conventions(said: str) -> None:
    assert extract([event(1, "user_request", {"text": said})]) == []


def test_a_real_claude_code_transcript_gives_what_the_session_implemented(lore: Lore) -> None:
    """The documented transcript fixture, imported as users import theirs."""
    project = lore.create_project("acme")
    import_transcripts(lore, project, FIXTURES / "transcript.jsonl")
    (session,) = lore.sessions("acme")
    events = lore.store.events.for_session(session.id)
    items = extract(events, Options(package="acme"))
    quotes_hold(items, events)
    (done,) = items
    assert done.type == "implementation" and done.files == ["src/payments/client.py"]
    assert done.title.startswith("Payments requests now retry up to 5 times with exponential")
    assert done.facts[0].startswith(
        "Payments requests now retry up to 5 times with exponential backoff"
    )
    assert done.schema_key == "root/payments/client"


def test_a_plan_is_not_a_result_and_a_root_cause_is_a_bug() -> None:
    plan = event(1, "agent_message", {"text": "I'll read the client first, then add retries."})
    assert extract([plan]) == []
    cause = event(
        2, "agent_message", {"text": "Fixed: the root cause was a missing await in send()."}
    )
    (bug,) = extract([plan, cause])
    assert bug.type == "bug" and bug.title == "Fixed: the root cause was a missing await in send()"


def test_the_commands_of_the_top_level_manifest_come_before_a_bundled_themes() -> None:
    scan = {
        "name": "blog",
        "scripts": {  # as a stored payload comes back: keys sorted
            "content/themes/casper/package.json": {"dev": "gulp"},
            "package.json": {"dev": "node --watch index.js"},
        },
        "structure": {"top_files": ["package.json", "yarn.lock"]},
    }
    items = extract([event(1, "scan_result", scan, source="scan")], Options())
    (dev,) = [item for item in items if item.dedup_hint == "scan:procedure:dev"]
    assert dev.instruction == "yarn run dev" and "node --watch index.js" in dev.facts[0]
    (commands,) = [item for item in items if item.dedup_hint == "scan:commands"]
    assert commands.facts[0] == "`yarn run dev`: node --watch index.js (package.json)."


def test_the_overview_starts_with_what_the_manifest_says_the_project_is() -> None:
    scan = {
        "name": "blog",
        "manifests": [
            {"path": "package.json", "kind": "npm", "description": "A publishing platform"},
            {"path": "themes/x/package.json", "kind": "npm", "description": "A theme"},
        ],
        "readme": {"path": "README.md", "summary": "The easiest way to deploy it is our service."},
    }
    items = extract([event(1, "scan_result", scan, source="scan")], Options())
    (overview,) = [item for item in items if item.dedup_hint == "scan:overview"]
    assert overview.facts[:2] == [
        "package.json describes it as: A publishing platform",
        "The easiest way to deploy it is our service.",
    ]


def test_a_release_commit_summarises_the_changes_it_ships(tmp_path: Path) -> None:
    from tests.gitrepo import GitRepo

    repo = GitRepo(tmp_path / "lib")
    for subject in (
        "Add the config parser",
        "Fix a crash when the config file is empty",
        "Release 1.0.0",
        "Add a cache for parsed configs",
        "Fix typo",
        "Release 1.1.0",
        "Add a watch mode",
    ):
        repo.commit(subject, {"CHANGES.md": f"- {subject}\n", "lib.py": f"# {subject}\n"})
    commits = read_commits(repo.root, ["HEAD"], 100, [])
    events = [
        event(n, "git_digest", {"commits": [c], "repo": str(repo.root), "branch": "main"}, "git")
        for n, c in enumerate(commits, start=1)
    ]
    items = extract(events, Options())
    quotes_hold(items, events)
    releases = {item.title: item for item in items if "release" in item.tags}
    assert sorted(releases) == [
        "Release 1.0.0: Add the config parser; Fix a crash when the config file is empty",
        "Release 1.1.0: Add a cache for parsed configs",
    ]
    first = releases[
        "Release 1.0.0: Add the config parser; Fix a crash when the config file is empty"
    ]
    assert first.facts[0].startswith("1.0.0 was released in commit ")
    assert first.facts[0].endswith("with 2 changes.")
    assert "since 1.0.0" in releases["Release 1.1.0: Add a cache for parsed configs"].facts[0]
    # the history read without its start: the range of its first release is not whole
    later = extract(events[3:], Options())
    assert not any("release" in item.tags for item in later)


def test_a_changelog_directive_is_no_news_of_a_commit() -> None:
    diff = (
        "diff --git a/CHANGES.rst b/CHANGES.rst\n+++ b/CHANGES.rst\n"
        "+.. currentmodule:: click\n+-   Fix the crash on empty prompts. :issue:`2581`\n"
        "diff --git a/src/click/termui.py b/src/click/termui.py\n"
    )
    commit = {
        "sha": "a" * 40,
        "subject": "Closes #2581.",
        "files": [{"path": "CHANGES.rst"}, {"path": "src/click/termui.py"}],
        "diff": diff,
    }
    (item,) = extract([event(1, "git_digest", {"commits": [commit]}, "git")], Options())
    assert item.title == "Fix the crash on empty prompts. :issue:`2581`"
    assert not any("currentmodule" in fact for fact in item.facts)
