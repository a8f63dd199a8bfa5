"""What the hooks print for the agent: the project brief (SessionStart) and the memory items
most relevant to a prompt (UserPromptSubmit). Both need the store and recall, so the hook imports
this module only for those two events.

Recall (``Lore.brain`` / ``Lore.recall``) is not in this tree yet: until it is, both print
nothing.
"""

from __future__ import annotations

from pathlib import Path

from lore.core import Lore
from lore.domain import Project


def write_brief(project: str, cwd: Path, path: Path) -> str:
    """Compute the brief now and cache it at ``path``; returns it."""
    return ""


def refresh_brief(lore: Lore, project: str, home: Path) -> None:
    """Recompute the cached brief of ``project`` after new events were stored."""


def relevant_items(project: str, prompt: str, cwd: Path, limit: int) -> str:
    """The memory items most relevant to ``prompt``, as short lines, at most ``limit`` chars."""
    return ""


def brief_text(lore: Lore, project: Project) -> str:
    """The compact brief of ``project`` (empty until recall exists)."""
    return ""
