"""The public surface stays small and honest: what `lore` exports, and what the docs name."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

import lore
from lore.cli.main import app

ROOT = Path(__file__).resolve().parents[2]


def test_exported_members_are_sorted_and_exist() -> None:
    assert lore.__all__ == sorted(lore.__all__)
    for name in lore.__all__:
        assert getattr(lore, name) is not None
    assert {"Lore", "SessionError", "SessionState"} <= set(lore.__all__)


def _commands(group: Any, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        names.append(f"{prefix}{name}")
        if hasattr(command, "commands"):
            names.extend(_commands(command, f"{prefix}{name} "))
    return names


def test_every_command_is_documented() -> None:
    docs = (ROOT / "README.md").read_text() + "".join(
        p.read_text() for p in (ROOT / "docs").glob("*.md")
    )
    group = typer.main.get_command(app)
    missing = [
        name for name in _commands(group) if not re.search(rf"lore {re.escape(name)}\b", docs)
    ]
    assert missing == []
