"""What the hooks print for the agent: the project brief (SessionStart) and the memory items
most relevant to a prompt (UserPromptSubmit). Both need the store and recall: the local service
(``lore.service``) answers them from an open ``Lore``; without one, the hook opens lore itself. The
brief is cached in a file, so SessionStart usually just reads it.
"""

from __future__ import annotations

from pathlib import Path

from lore.config import load_settings
from lore.core import Lore
from lore.domain import Project
from lore.errors import LoreError
from lore.integrations.claude_code.hook import brief_path
from lore.recall.tokens import count_tokens

PROMPT_HITS = 5
MORE = "\n… (call the get_memory tool for the rest)"


def brief_text(lore: Lore, project: Project, max_tokens: int | None = None) -> str:
    """The compact brain of ``project`` (brief and active knowledge) as markdown; with
    ``max_tokens``, its first lines that fit, and a last line saying what they cost and what
    was left out. Empty while the project has no memory."""
    brain = lore.brain(project, compact=True)
    if not any(layer.markdown.strip() for layer in brain.layers):
        return ""
    markdown = brain.markdown.strip()
    return markdown if max_tokens is None else fit_brief(markdown, max_tokens)


def fit_brief(markdown: str, max_tokens: int) -> str:
    """The lines of ``markdown`` that fit in ``max_tokens`` with the closing line, in order (a
    line that does not fit ends them: the brief reads top down)."""
    lines = markdown.splitlines()
    room = max_tokens - count_tokens(_closing(max_tokens, max_tokens, len(lines)))
    shown: list[str] = []
    used = 0
    for line in lines:
        cost = count_tokens(line + "\n")
        if used + cost > room:
            break
        shown.append(line)
        used += cost
    if not shown:
        return ""
    closing = _closing(used, max_tokens, len(lines) - len(shown))
    return "\n".join([*shown, "", closing])


def _closing(used: int, max_tokens: int, left_out: int) -> str:
    more = f"; {left_out} more lines: call get_memory" if left_out else ""
    return f"(lore memory: {used} of {max_tokens} tokens{more})"


def project_brief(lore: Lore, project: Project) -> str:
    """Only the brief layer (L0: what the project is, its architecture, key conventions), for
    instruction files that every session loads."""
    return lore.brain(project, compact=True).layers[0].markdown.strip()


def refresh_brief(lore: Lore, project: str, home: Path) -> str:
    """Recompute and cache the SessionStart brief of ``project``; returns it ("" for a project
    this database does not have)."""
    try:
        found = lore.project(project)
        text = brief_text(lore, found, found.settings.session_start_tokens)
    except LoreError:
        return ""
    _store(brief_path(home, project), text)
    return text


def write_brief(project: str, cwd: Path, home: Path) -> str:
    """The brief computed by opening lore here (no helper running, no cache yet)."""
    with Lore.open(settings=load_settings(cwd=cwd)) as lore:
        return refresh_brief(lore, project, home)


def relevant_text(lore: Lore, project: str, prompt: str, limit: int) -> str:
    """The memories most relevant to ``prompt``, one line each, at most ``limit`` chars."""
    hits = lore.recall(project, prompt, limit=PROMPT_HITS, include_events=False)
    if not hits:
        return ""
    lines = ["Relevant project memory (lore):"]
    for hit in hits:
        label = ", ".join(part for part in (hit.type, hit.status) if part)
        body = " ".join(hit.text.split())
        lines.append(f"- {hit.title} [{label}, id {hit.id}]: {body}" if body else f"- {hit.title}")
    return _cut("\n".join(lines), limit, more="")


def relevant_items(project: str, prompt: str, cwd: Path, limit: int) -> str:
    """``relevant_text`` by opening lore here (no helper running)."""
    with Lore.open(settings=load_settings(cwd=cwd)) as lore:
        return relevant_text(lore, project, prompt, limit)


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
