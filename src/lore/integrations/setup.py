"""``lore setup TOOL``: register lore's MCP server in a coding tool's own configuration file, and
Claude Code's hooks in ``.claude/settings.json``.

Each file is merged, never clobbered: only lore's own entry (``lore``) and lore's own hook
commands are added or replaced; everything else, including other servers and hooks, is kept as it
was. A file lore cannot parse is left alone and reported.

Where each tool reads its MCP servers (the tools' documentation):
- claude-code: ``.mcp.json`` at the repository root (project scope), key ``mcpServers``.
- cursor: ``.cursor/mcp.json`` (project), key ``mcpServers``.
- vscode: ``.vscode/mcp.json`` (workspace), key ``servers``, each with ``"type": "stdio"``.
- codex: ``.codex/config.toml`` (project; Codex reads it in trusted projects), table
  ``[mcp_servers.lore]``.
- windsurf: ``~/.codeium/windsurf/mcp_config.json`` (Windsurf has no project file), key
  ``mcpServers``.
"""

from __future__ import annotations

import json
import shlex
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lore.errors import ConfigError, ValidationError

SERVER = "lore"
HOOK_EVENTS = (
    "SessionStart",
    "UserPromptSubmit",
    "PostToolUse",
    "PostToolUseFailure",
    "Stop",
    "SessionEnd",
)
TOOL_EVENTS = ("PostToolUse", "PostToolUseFailure")  # these take a tool-name matcher
HOOK_TIMEOUT_S = 10


@dataclass(frozen=True)
class Change:
    path: Path
    action: str  # created, updated, unchanged
    what: str


@dataclass(frozen=True)
class Launch:
    """How a tool starts lore's MCP server and hooks: the ``lore`` executable and the project."""

    command: str
    project: str

    @property
    def mcp_args(self) -> list[str]:
        return ["mcp", "--project", self.project]

    def hook_command(self, event: str) -> str:
        return f"{shlex.quote(self.command)} hook claude-code {event}"


def setup(tool: str, repo: Path, launch: Launch, home: Path | None = None) -> list[Change]:
    """Write ``tool``'s configuration for lore; returns what changed, file by file."""
    if tool not in TOOLS:
        raise ValidationError(f"tool must be one of {', '.join(TOOLS)} (got {tool!r})", "tool")
    return TOOLS[tool](repo, launch, home or Path.home())


def _claude_code(repo: Path, launch: Launch, home: Path) -> list[Change]:
    entry = {"type": "stdio", "command": launch.command, "args": launch.mcp_args, "env": {}}
    return [
        _merge_json(repo / ".mcp.json", ["mcpServers", SERVER], entry, "MCP server"),
        _merge_claude_hooks(repo / ".claude" / "settings.json", launch),
    ]


def _cursor(repo: Path, launch: Launch, home: Path) -> list[Change]:
    entry = {"command": launch.command, "args": launch.mcp_args}
    return [_merge_json(repo / ".cursor" / "mcp.json", ["mcpServers", SERVER], entry, "MCP server")]


def _vscode(repo: Path, launch: Launch, home: Path) -> list[Change]:
    entry = {"type": "stdio", "command": launch.command, "args": launch.mcp_args}
    return [_merge_json(repo / ".vscode" / "mcp.json", ["servers", SERVER], entry, "MCP server")]


def _windsurf(repo: Path, launch: Launch, home: Path) -> list[Change]:
    path = home / ".codeium" / "windsurf" / "mcp_config.json"
    entry = {"command": launch.command, "args": launch.mcp_args}
    return [_merge_json(path, ["mcpServers", SERVER], entry, "MCP server")]


def _codex(repo: Path, launch: Launch, home: Path) -> list[Change]:
    path = repo / ".codex" / "config.toml"
    table = f"mcp_servers.{SERVER}"
    block = (
        f"[{table}]\ncommand = {json.dumps(launch.command)}\nargs = {json.dumps(launch.mcp_args)}\n"
    )
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    before = _parse_toml(path, text)
    kept = _without_toml_table(text, table)
    merged = (kept.rstrip() + "\n\n" if kept.strip() else "") + block
    if not _only_lore_changed(before, merged):
        raise ConfigError(f"{path} defines [{table}] in a form lore cannot edit: edit it by hand")
    return [_write(path, text, merged, "MCP server")]


def _only_lore_changed(before: dict[str, Any], merged: str) -> bool:
    """Whether ``merged`` parses and differs from ``before`` only in lore's server."""
    try:
        after = tomllib.loads(merged)
    except tomllib.TOMLDecodeError:
        return False

    def others(data: dict[str, Any]) -> dict[str, Any]:
        servers = {k: v for k, v in data.get("mcp_servers", {}).items() if k != SERVER}
        return {k: v for k, v in data.items() if k != "mcp_servers"} | {"mcp_servers": servers}

    return others(before) == others(after)


TOOLS: dict[str, Callable[[Path, Launch, Path], list[Change]]] = {
    "claude-code": _claude_code,
    "cursor": _cursor,
    "codex": _codex,
    "vscode": _vscode,
    "windsurf": _windsurf,
}


def _merge_json(path: Path, keys: list[str], value: Any, what: str) -> Change:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    data = _parse_json(path, text)
    node = data
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{path}: {key!r} is not an object; fix it by hand")
        node = child
    node[keys[-1]] = value
    return _write(path, text, json.dumps(data, indent=2, ensure_ascii=False) + "\n", what)


def _merge_claude_hooks(path: Path, launch: Launch) -> Change:
    """Add lore's command hooks to Claude Code's settings, replacing earlier lore hooks and
    keeping every other hook and setting."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    data = _parse_json(path, text)
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ConfigError(f"{path}: 'hooks' is not an object; fix it by hand")
    for event in HOOK_EVENTS:
        groups = [_without_lore_hooks(group) for group in hooks.get(event, [])]
        ours: dict[str, Any] = {
            "hooks": [
                {
                    "type": "command",
                    "command": launch.hook_command(event),
                    "timeout": HOOK_TIMEOUT_S,
                }
            ]
        }
        if event in TOOL_EVENTS:
            ours = {"matcher": "*"} | ours
        hooks[event] = [group for group in groups if group.get("hooks")] + [ours]
    return _write(path, text, json.dumps(data, indent=2, ensure_ascii=False) + "\n", "hooks")


def _without_lore_hooks(group: Any) -> dict[str, Any]:
    if not isinstance(group, dict):
        return {"hooks": []}
    kept = [
        hook
        for hook in group.get("hooks", [])
        if " hook claude-code " not in str(hook.get("command", "")) + " "
    ]
    return group | {"hooks": kept}


def _parse_json(path: Path, text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not plain JSON ({exc}); lore leaves it alone") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} does not hold a JSON object; lore leaves it alone")
    return data


def _parse_toml(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); lore leaves it alone") from None


def _without_toml_table(text: str, table: str) -> str:
    """``text`` without ``[table]`` and its sub-tables (up to the next other table header)."""
    kept: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        header = line.strip()
        if header.startswith("["):
            name = header.strip("[]").strip()
            inside = name == table or name.startswith(table + ".")
        if not inside:
            kept.append(line)
    return "".join(kept)


def _write(path: Path, old: str, new: str, what: str) -> Change:
    if old == new:
        return Change(path, "unchanged", what)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
    return Change(path, "updated" if old else "created", what)
