"""``lore rules``: the memory protocol and the project brief, written into the files agents read
as instructions (CLAUDE.md, AGENTS.md, .cursorrules, .github/copilot-instructions.md).

lore owns only the text between ``<!-- lore:start -->`` and ``<!-- lore:end -->``: a rerun
replaces that block and keeps everything outside it byte for byte. A file without the markers
gets the block appended.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lore.errors import ConflictError

START = "<!-- lore:start -->"
END = "<!-- lore:end -->"
FILES = ("CLAUDE.md", "AGENTS.md", ".cursorrules", ".github/copilot-instructions.md")

PROTOCOL = """\
## Project memory (lore)

This project keeps its long-term memory in lore, available through the `lore` MCP server.

- Start of a task: call `get_memory` (or `context_pack` with the task) and follow the
  conventions and decisions it lists.
- Before changing code you do not know: `search` for the files or the topic; known bugs and
  decisions about them are there.
- The user states a rule, convention or fact to keep: `remember` it (one call per fact).
- The user asks to save the session: `save_session` with a summary and the decisions, changes,
  bugs, todos and conventions of the session.
- An item is wrong or outdated: tell the user, and `deprecate` it when they agree."""


@dataclass(frozen=True)
class RulesChange:
    path: Path
    action: str  # created, updated, unchanged


def rules_block(brief: str = "") -> str:
    """The text lore keeps between the markers: the protocol, then the brief when there is one."""
    body = PROTOCOL + (
        f"\n\n### What lore knows about this project\n\n{brief.strip()}" if brief.strip() else ""
    )
    return f"{START}\n{body}\n{END}"


def write_rules(repo: Path, block: str, files: tuple[str, ...] = FILES) -> list[RulesChange]:
    return [_write_one(repo / name, block) for name in files]


def with_block(text: str, block: str) -> str:
    """``text`` with lore's block replaced (or appended), everything else kept."""
    start = text.find(START)
    if start == -1:
        if END in text:
            raise ConflictError(f"found {END} without {START}: fix the markers by hand")
        if not text:
            return block + "\n"
        return text + ("\n" if text.endswith("\n") else "\n\n") + block + "\n"
    end = text.find(END, start)
    if end == -1:
        raise ConflictError(f"found {START} without {END}: fix the markers by hand")
    return text[:start] + block + text[end + len(END) :]


def _write_one(path: Path, block: str) -> RulesChange:
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        new = with_block(old, block)
    except ConflictError as exc:
        raise ConflictError(f"{path}: {exc}") from None
    if new == old:
        return RulesChange(path, "unchanged")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
    return RulesChange(path, "updated" if old else "created")
