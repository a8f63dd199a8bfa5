"""``lore setup TOOL`` and ``lore rules``: each tool's documented file, merged, never clobbered."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lore import Lore
from lore.cli.main import app
from lore.errors import ConfigError, ConflictError
from lore.integrations import rules
from lore.integrations.setup import Launch, setup

LAUNCH = Launch("acme")  # `lore` on PATH, the default home: everything can be committed
MACHINE = Launch("acme", "/opt/lore/bin/lore", {"LORE_HOME": "/data/lore"})
ARGS = ["mcp", "--project", "acme"]


@pytest.fixture
def user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's home folder, where user-scope files go."""
    home = tmp_path / "user"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def repo(tmp_path: Path, lore: Lore, monkeypatch: pytest.MonkeyPatch, user: Path) -> Path:
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / ".lore.toml").write_text('project = "acme"\n')
    lore.create_project("acme", repo=str(folder))
    monkeypatch.chdir(folder)
    return folder


def read_json(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text())


@pytest.mark.parametrize(
    ("tool", "relative", "key", "entry"),
    [
        ("claude-code", ".mcp.json", "mcpServers", {"type": "stdio"}),
        ("cursor", ".cursor/mcp.json", "mcpServers", {}),
        ("vscode", ".vscode/mcp.json", "servers", {"type": "stdio"}),
    ],
)
def test_project_files_get_lore_and_keep_other_servers(
    repo: Path,
    tool: str,
    relative: str,
    key: str,
    entry: dict,  # type: ignore[type-arg]
) -> None:
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    other = {"command": "npx", "args": ["-y", "other-server"]}
    path.write_text(json.dumps({key: {"other": other}, "inputs": [{"id": "k"}]}))
    changes = setup(tool, repo, LAUNCH)
    assert changes[0].path == path and changes[0].action == "updated"
    data = read_json(path)
    assert data[key]["other"] == other and data["inputs"] == [{"id": "k"}]
    assert data[key]["lore"] == {"command": "lore", "args": ARGS} | entry
    assert all(change.action == "unchanged" for change in setup(tool, repo, LAUNCH))
    # This machine's launcher stays out of the committed file.
    setup(tool, repo, MACHINE)
    assert read_json(path)[key]["lore"] == {"command": "lore", "args": ARGS} | entry
    # A user's own keys survive a rerun; --remove takes out lore's entry and nothing else.
    data[key]["lore"]["timeout"] = 30
    path.write_text(json.dumps(data))
    setup(tool, repo, LAUNCH)
    assert read_json(path)[key]["lore"]["timeout"] == 30
    removed = setup(tool, repo, LAUNCH, remove=True)
    assert removed[0].path == path and removed[0].action == "updated"
    assert read_json(path) == {key: {"other": other}, "inputs": [{"id": "k"}]}


def test_windsurf_uses_its_global_file_for_every_project(repo: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    [change] = setup("windsurf", repo, MACHINE, home)
    assert change.path == home / ".codeium" / "windsurf" / "mcp_config.json"
    entry = read_json(change.path)["mcpServers"]["lore"]
    assert entry == {"command": "/opt/lore/bin/lore", "args": ["mcp"], "env": MACHINE.env}
    [gone] = setup("windsurf", repo, MACHINE, home, remove=True)
    assert gone.action == "removed" and not change.path.exists()


def test_claude_code_puts_this_machines_launcher_in_the_local_scope(repo: Path, user: Path) -> None:
    changes = setup("claude-code", repo, MACHINE)
    assert [c.path for c in changes] == [
        repo / ".mcp.json",
        user / ".claude.json",
        repo / ".claude" / "settings.local.json",
    ]
    assert read_json(repo / ".mcp.json")["mcpServers"]["lore"]["command"] == "lore"
    local = read_json(user / ".claude.json")["projects"][str(repo)]["mcpServers"]["lore"]
    assert local["command"] == "/opt/lore/bin/lore" and local["env"] == {"LORE_HOME": "/data/lore"}
    hooks = read_json(repo / ".claude" / "settings.local.json")["hooks"]
    assert hooks["Stop"][0]["hooks"][0]["command"] == (
        "LORE_HOME=/data/lore /opt/lore/bin/lore hook claude-code Stop"
    )
    assert not (repo / ".claude" / "settings.json").exists()  # nothing of this machine there
    (user / ".claude.json").write_text(
        json.dumps({"numStartups": 3} | read_json(user / ".claude.json"))
    )
    removed = setup("claude-code", repo, MACHINE, remove=True)
    assert {c.action for c in removed} == {"removed", "updated", "unchanged"}
    assert read_json(user / ".claude.json") == {
        "numStartups": 3,
        "projects": {str(repo): {"mcpServers": {}}},
    }
    assert not (repo / ".mcp.json").exists()
    assert not (repo / ".claude" / "settings.local.json").exists()


def test_vscode_json_with_comments_is_read(repo: Path) -> None:
    path = repo / ".vscode" / "mcp.json"
    path.parent.mkdir()
    path.write_text(
        '{\n  // my servers\n  "servers": {\n    "docs": {"command": "docs",},\n  },\n}\n'
    )
    setup("vscode", repo, LAUNCH)
    data = read_json(path)
    assert data["servers"]["docs"] == {"command": "docs"} and "lore" in data["servers"]


def test_codex_table_is_replaced_and_the_rest_kept(repo: Path) -> None:
    path = repo / ".codex" / "config.toml"
    path.parent.mkdir()
    original = (
        '# my settings\nmodel = "o4"\n\n[mcp_servers.lore]\ncommand = "old-lore"\n\n'
        '[mcp_servers.lore.env]\nX = "1"\n\n[mcp_servers.docs]\ncommand = "docs-mcp"\n'
    )
    path.write_text(original)
    setup("codex", repo, LAUNCH)
    text = path.read_text()
    data = tomllib.loads(text)
    assert text.startswith("# my settings\n")
    assert data["model"] == "o4" and data["mcp_servers"]["docs"] == {"command": "docs-mcp"}
    lore_server = data["mcp_servers"]["lore"]
    assert lore_server == {
        "command": "lore",
        "args": ARGS,
        "env": {"X": "1"},
    }  # the user's env kept
    assert setup("codex", repo, LAUNCH)[0].action == "unchanged"
    setup("codex", repo, LAUNCH, remove=True)
    assert "lore" not in tomllib.loads(path.read_text())["mcp_servers"]


def test_codex_lore_defined_inline_is_left_alone(repo: Path) -> None:
    path = repo / ".codex" / "config.toml"
    path.parent.mkdir()
    original = 'mcp_servers = { lore = { command = "x" } }\n'
    path.write_text(original)
    with pytest.raises(ConfigError, match="edit it by hand"):
        setup("codex", repo, LAUNCH)
    assert path.read_text() == original


def test_a_file_lore_cannot_parse_is_left_alone(repo: Path) -> None:
    path = repo / ".cursor" / "mcp.json"
    path.parent.mkdir()
    path.write_text('{"mcpServers": {"other": }}')
    result = CliRunner().invoke(app, ["setup", "cursor"])
    assert result.exit_code == 1 and "lore leaves it" in " ".join(result.output.split())
    assert path.read_text() == '{"mcpServers": {"other": }}'


def test_claude_code_hooks_merge_with_the_users_hooks(repo: Path) -> None:
    settings = repo / ".claude" / "settings.json"
    settings.parent.mkdir()
    mine = {"matcher": "Bash", "hooks": [{"type": "command", "command": "audit.sh"}]}
    old_lore = {"hooks": [{"type": "command", "command": "lore hook claude-code Stop"}]}
    settings.write_text(
        json.dumps({"model": "opus", "hooks": {"PostToolUse": [mine], "Stop": [old_lore]}})
    )
    setup("claude-code", repo, LAUNCH)
    data = read_json(settings)
    assert data["model"] == "opus"
    post = data["hooks"]["PostToolUse"]
    assert post[0] == mine
    assert post[1]["matcher"] == "*"
    assert post[1]["hooks"][0]["command"] == "lore hook claude-code PostToolUse"
    assert [g["hooks"][0]["command"] for g in data["hooks"]["Stop"]] == [
        "lore hook claude-code Stop"
    ]
    assert set(data["hooks"]) == {
        "SessionStart",
        "UserPromptSubmit",
        "PostToolUse",
        "PostToolUseFailure",
        "Stop",
        "SessionEnd",
    }
    setup("claude-code", repo, LAUNCH, remove=True)
    assert read_json(settings) == {"model": "opus", "hooks": {"PostToolUse": [mine]}}


def test_the_setup_command_names_the_project_and_executable(repo: Path, user: Path) -> None:
    result = CliRunner().invoke(app, ["setup", "claude-code", "--command", "/usr/bin/lore"])
    assert result.exit_code == 0, result.output
    server = read_json(repo / ".mcp.json")["mcpServers"]["lore"]
    assert server == {"type": "stdio", "command": "lore", "args": ARGS}
    local = read_json(user / ".claude.json")["projects"][str(repo)]["mcpServers"]["lore"]
    assert local["command"] == "/usr/bin/lore" and "LORE_HOME" in local["env"]  # the test home
    result = CliRunner().invoke(app, ["setup", "emacs"])
    assert result.exit_code == 2 and "claude-code, cursor, codex" in result.output


def test_rules_fill_the_block_and_keep_the_rest(repo: Path) -> None:
    claude = repo / "CLAUDE.md"
    claude.write_text("# House rules\n\nUse tabs.\n")
    result = CliRunner().invoke(app, ["rules"])
    assert result.exit_code == 0, result.output
    for name in rules.FILES:
        text = (repo / name).read_text()
        assert text.count(rules.START) == 1 and text.count(rules.END) == 1
        assert "save_session" in text
    assert claude.read_text().startswith("# House rules\n\nUse tabs.\n\n<!-- lore:start -->")
    claude.write_text(claude.read_text() + "\n## Mine, after\n")
    edited = claude.read_text()
    assert CliRunner().invoke(app, ["rules", "--file", "CLAUDE.md"]).exit_code == 0
    assert claude.read_text() == edited


def test_rules_replace_only_between_the_markers() -> None:
    text = f"before\n{rules.START}\nold\n{rules.END}\nafter\n"
    new = rules.with_block(text, rules.rules_block("Brief line."))
    assert new.startswith("before\n<!-- lore:start -->\n## Project memory (lore)")
    assert new.endswith(f"Brief line.\n{rules.END}\nafter\n")
    assert "old" not in new


def test_a_lone_marker_is_refused(repo: Path) -> None:
    (repo / "AGENTS.md").write_text(f"{rules.START}\nhalf\n")
    with pytest.raises(ConflictError, match="without"):
        rules.write_rules(repo, rules.rules_block(), ("AGENTS.md",))
    assert (repo / "AGENTS.md").read_text() == f"{rules.START}\nhalf\n"
