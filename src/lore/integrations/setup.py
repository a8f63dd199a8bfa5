"""``lore setup TOOL``: register lore's MCP server in a coding tool's own configuration file, and
Claude Code's hooks; ``--remove`` takes out what setup wrote and nothing else.

Files meant to be committed hold nothing of one machine: they run ``lore`` from PATH, for the
project by name. What belongs to one machine (an absolute launcher, a non-default
``LORE_HOME`` or database) goes to the tool's user-scope configuration where it has one that
overrides the project's: Claude Code's local scope (``~/.claude.json`` for the MCP server,
``.claude/settings.local.json`` for the hooks). Each file is merged, never clobbered: only
lore's own entry (``lore``) and lore's own hook commands change, and keys a user added to lore's
entry (``env``, timeouts) are kept. A file lore cannot parse is left alone and reported.

Where each tool reads its MCP servers (the tools' documentation):
- claude-code: ``.mcp.json`` at the repository root (project scope), key ``mcpServers``; local
  scope in ``~/.claude.json`` under ``projects.<repository>.mcpServers``.
- cursor: ``.cursor/mcp.json`` (project), key ``mcpServers``.
- vscode: ``.vscode/mcp.json`` (workspace, JSON with comments), key ``servers``, each with
  ``"type": "stdio"``.
- codex: ``.codex/config.toml`` (project; Codex reads it in trusted projects), table
  ``[mcp_servers.lore]``.
- windsurf: ``~/.codeium/windsurf/mcp_config.json`` (Windsurf has no project file), key
  ``mcpServers``: one entry for every project, which the server finds from the workspace.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lore.errors import ConfigError, ValidationError

SERVER = "lore"
PORTABLE = "lore"  # the executable as committed files name it: found on PATH
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
    action: str  # created, updated, unchanged, removed
    what: str


@dataclass(frozen=True)
class Launch:
    """How a tool starts lore: the project, and what this machine needs beyond ``lore`` on
    PATH (an absolute executable, ``LORE_HOME`` or ``LORE_DATABASE_URL``)."""

    project: str
    command: str = PORTABLE
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def portable(self) -> bool:
        return self.command == PORTABLE and not self.env

    def committed(self) -> Launch:
        """The launch that may go in a committed file."""
        return Launch(self.project)

    @property
    def mcp_args(self) -> list[str]:
        return ["mcp", "--project", self.project]

    def hook_command(self, event: str) -> str:
        variables = "".join(f"{name}={shlex.quote(value)} " for name, value in self.env.items())
        return f"{variables}{shlex.quote(self.command)} hook claude-code {event}"


def setup(
    tool: str, repo: Path, launch: Launch, home: Path | None = None, *, remove: bool = False
) -> list[Change]:
    """Write ``tool``'s configuration for lore (or, with ``remove``, take lore's entries out);
    returns what changed, file by file."""
    if tool not in TOOLS:
        raise ValidationError(f"tool must be one of {', '.join(TOOLS)} (got {tool!r})", "tool")
    return TOOLS[tool](repo, launch, home or Path.home(), remove)


def _stdio(launch: Launch, *, typed: bool, pinned: bool = True) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "stdio"} if typed else {}
    entry |= {"command": launch.command, "args": launch.mcp_args if pinned else ["mcp"]}
    return entry | ({"env": dict(launch.env)} if launch.env else {})


def _claude_code(repo: Path, launch: Launch, home: Path, remove: bool) -> list[Change]:
    shared = launch.committed()
    local_key = ["projects", str(repo), "mcpServers", SERVER]
    settings, local_settings = (
        repo / ".claude" / "settings.json",
        repo / ".claude" / "settings.local.json",
    )
    mcp = repo / ".mcp.json"
    if remove:
        return [
            _merge_json(mcp, ["mcpServers", SERVER], None, "MCP server"),
            _merge_json(home / ".claude.json", local_key, None, "MCP server, local scope"),
            _merge_claude_hooks(settings, None),
            _merge_claude_hooks(local_settings, None),
        ]
    changes = [_merge_json(mcp, ["mcpServers", SERVER], _stdio(shared, typed=True), "MCP server")]
    if launch.portable:
        return [*changes, _merge_claude_hooks(settings, launch)]
    # This machine's launcher: the local scope, which overrides the project's entry by name.
    entry = _stdio(launch, typed=True)
    return [
        *changes,
        _merge_json(home / ".claude.json", local_key, entry, "MCP server, local scope"),
        _merge_claude_hooks(local_settings, launch),
    ]


def _cursor(repo: Path, launch: Launch, home: Path, remove: bool) -> list[Change]:
    entry = None if remove else _stdio(launch.committed(), typed=False)
    return [_merge_json(repo / ".cursor" / "mcp.json", ["mcpServers", SERVER], entry, "MCP server")]


def _vscode(repo: Path, launch: Launch, home: Path, remove: bool) -> list[Change]:
    entry = None if remove else _stdio(launch.committed(), typed=True)
    return [_merge_json(repo / ".vscode" / "mcp.json", ["servers", SERVER], entry, "MCP server")]


def _windsurf(repo: Path, launch: Launch, home: Path, remove: bool) -> list[Change]:
    """One user-scope entry for every project: not pinned to this one (the server finds the
    project from the workspace Windsurf names); this machine's launcher belongs here."""
    path = home / ".codeium" / "windsurf" / "mcp_config.json"
    entry = None if remove else _stdio(launch, typed=False, pinned=False)
    return [_merge_json(path, ["mcpServers", SERVER], entry, "MCP server")]


def _codex(repo: Path, launch: Launch, home: Path, remove: bool) -> list[Change]:
    path = repo / ".codex" / "config.toml"
    table = f"mcp_servers.{SERVER}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    before = _parse_toml(path, text)
    current = before.get("mcp_servers", {}).get(SERVER, {})
    kept = _without_toml_table(text, table)
    if remove:
        merged = kept if current else text
    else:
        shared = launch.committed()
        extra = {
            k: v
            for k, v in current.items()
            if k not in ("command", "args") and not isinstance(v, dict)
        }
        lines = [
            f"[{table}]",
            f"command = {json.dumps(shared.command)}",
            f"args = {json.dumps(shared.mcp_args)}",
        ]
        lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
        block = "\n".join(lines) + "\n"
        for name, sub in current.items():
            if isinstance(sub, dict):  # a sub-table the user added, such as env
                block += f"\n[{table}.{name}]\n" + "".join(
                    f"{k} = {json.dumps(v)}\n" for k, v in sub.items()
                )
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


TOOLS: dict[str, Callable[[Path, Launch, Path, bool], list[Change]]] = {
    "claude-code": _claude_code,
    "cursor": _cursor,
    "codex": _codex,
    "vscode": _vscode,
    "windsurf": _windsurf,
}


def _merge_json(path: Path, keys: list[str], entry: dict[str, Any] | None, what: str) -> Change:
    """Set lore's entry at ``keys`` (keeping the keys a user added to it), or with ``entry``
    None take it out."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    data = _parse_json(path, text)
    node = data
    for key in keys[:-1]:
        child = node.setdefault(key, {}) if entry is not None else node.get(key, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{path}: {key!r} is not an object; fix it by hand")
        node = child
    if entry is None:
        node.pop(keys[-1], None)
    else:
        current = node.get(keys[-1])
        node[keys[-1]] = (current if isinstance(current, dict) else {}) | entry
    return _write_json(path, text, data, what)


def _merge_claude_hooks(path: Path, launch: Launch | None) -> Change:
    """Put lore's command hooks in Claude Code's settings (replacing earlier lore hooks and
    keeping every other hook and setting), or with ``launch`` None take them out."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    data = _parse_json(path, text)
    hooks = data.get("hooks", {}) if launch is None else data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ConfigError(f"{path}: 'hooks' is not an object; fix it by hand")
    for event in HOOK_EVENTS if launch is not None else list(hooks):
        groups = [_without_lore_hooks(group) for group in hooks.get(event, [])]
        kept = [group for group in groups if group.get("hooks")]
        if launch is not None:
            ours: dict[str, Any] = {
                "hooks": [
                    {
                        "type": "command",
                        "command": launch.hook_command(event),
                        "timeout": HOOK_TIMEOUT_S,
                    }
                ]
            }
            kept.append({"matcher": "*"} | ours if event in TOOL_EVENTS else ours)
        if kept:
            hooks[event] = kept
        else:
            hooks.pop(event, None)
    return _write_json(path, text, data, "hooks")


def _without_lore_hooks(group: Any) -> dict[str, Any]:
    if not isinstance(group, dict):
        return {"hooks": []}
    kept = [
        hook
        for hook in group.get("hooks", [])
        if " hook claude-code " not in str(hook.get("command", "")) + " "
    ]
    return group | {"hooks": kept}


_COMMENT = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING_COMMA = re.compile(r'("(?:\\.|[^"\\])*")|,(\s*[}\]])')


def json_with_comments(text: str) -> Any:
    """JSON as VS Code writes it: ``//`` and ``/* */`` comments and trailing commas allowed."""
    plain = _COMMENT.sub(lambda m: m.group(1) or "", text)
    plain = _TRAILING_COMMA.sub(lambda m: m.group(1) or m.group(2), plain)
    return json.loads(plain)


def _parse_json(path: Path, text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        data = json_with_comments(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not JSON ({exc}); lore leaves it alone") from None
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


def _write_json(path: Path, old: str, data: dict[str, Any], what: str) -> Change:
    """Write ``data`` (comments of a JSON-with-comments file are not kept); a file left with
    nothing but empty objects and lists is removed, as it was before lore wrote it."""
    if _empty(data):
        if not path.exists():
            return Change(path, "unchanged", what)
        path.unlink()
        return Change(path, "removed", what)
    new = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if old.strip() and _parse_json(path, old) == data:
        return Change(path, "unchanged", what)
    return _write(path, old, new, what)


def _empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_empty(item) for item in value.values())
    if isinstance(value, list):
        return all(_empty(item) for item in value)
    return False


def _write(path: Path, old: str, new: str, what: str) -> Change:
    if old == new:
        return Change(path, "unchanged", what)
    if not new.strip():
        path.unlink(missing_ok=True)
        return Change(path, "removed", what)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
    return Change(path, "updated" if old else "created", what)
