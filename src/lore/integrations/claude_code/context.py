"""What the hooks print for the agent: the project brief (SessionStart) and the memory items
most relevant to a prompt (UserPromptSubmit). Both need the store and recall, so the hook imports
this module only for those two events; the brief is cached in a file so SessionStart usually
reads it without opening the store.
"""

from __future__ import annotations

from pathlib import Path

from lore.config import load_settings
from lore.core import Lore
from lore.domain import Project
from lore.errors import LoreError
from lore.integrations.claude_code.hook import BRIEF_CHARS, brief_path

PROMPT_HITS = 5
MORE = "\n… (call the get_memory tool for the rest)"


def brief_text(lore: Lore, project: Project, limit: int | None = None) -> str:
    """The compact brain of ``project`` (brief and active knowledge) as markdown, cut at a line
    to ``limit`` characters; empty while the project has no memory."""
    brain = lore.brain(project, compact=True)
    if not any(layer.markdown.strip() for layer in brain.layers):
        return ""
    return _cut(brain.markdown.strip(), limit) if limit else brain.markdown.strip()


def project_brief(lore: Lore, project: Project) -> str:
    """Only the brief layer (L0: what the project is, its architecture, key conventions), for
    instruction files that every session loads."""
    return lore.brain(project, compact=True).layers[0].markdown.strip()


def refresh_brief(lore: Lore, project: str, home: Path) -> None:
    """Recompute the cached brief of ``project`` after new events were stored."""
    _store(brief_path(home, project), brief_text(lore, lore.project(project), BRIEF_CHARS))


def write_brief(project: str, cwd: Path, path: Path) -> str:
    """Compute the brief now (no cache yet) and cache it at ``path``; returns it."""
    with Lore.open(settings=load_settings(cwd=cwd)) as lore:
        try:
            text = brief_text(lore, lore.project(project), BRIEF_CHARS)
        except LoreError:  # the project is not in this database (yet)
            return ""
    _store(path, text)
    return text


def relevant_items(project: str, prompt: str, cwd: Path, limit: int) -> str:
    """The memories most relevant to ``prompt``, one line each, at most ``limit`` chars."""
    with Lore.open(settings=load_settings(cwd=cwd)) as lore:
        hits = lore.recall(project, prompt, limit=PROMPT_HITS, include_events=False)
    if not hits:
        return ""
    lines = ["Relevant project memory (lore):"]
    for hit in hits:
        label = ", ".join(part for part in (hit.type, hit.status) if part)
        body = " ".join(hit.text.split())
        lines.append(f"- {hit.title} [{label}, id {hit.id}]: {body}" if body else f"- {hit.title}")
    return _cut("\n".join(lines), limit, more="")


def _cut(text: str, limit: int, more: str = MORE) -> str:
    """``text`` within ``limit`` characters, cut at the end of a line when it is longer."""
    if len(text) <= limit:
        return text
    room = limit - len(more)
    cut = text.rfind("\n", 0, room)
    return text[: cut if cut > 0 else room] + more


def _store(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
