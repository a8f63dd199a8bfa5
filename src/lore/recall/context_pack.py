"""Context packs: what an agent starting a task should read, within a token budget.

The pack is the brain's L0 brief, then the memories recall finds for the task, grouped by
schema key (raw-event windows under ``events``), then, for the ``full`` scope, the brain's L1
active knowledge. Parts are added in that order while they fit, so a small budget keeps the
brief and the most relevant memories. Scopes: ``minimal`` (brief and the five best memories,
short), ``relevant`` (brief and up to 25 memories), ``full`` (relevant plus L1).
"""

from __future__ import annotations

from collections.abc import Sequence

from lore.recall.brain import grouped
from lore.recall.models import BrainLayer, ContextPack, Hit, Scope
from lore.recall.tokens import clip, count_tokens

HITS_PER_SCOPE: dict[Scope, int] = {"minimal": 5, "relevant": 25, "full": 25}
TEXT_CHARS: dict[Scope, int] = {"minimal": 160, "relevant": 400, "full": 400}
EVENTS_GROUP = "events"


def hits_for(scope: Scope) -> int:
    return HITS_PER_SCOPE[scope]


def build_context_pack(
    project: str,
    task: str,
    hits: Sequence[Hit],
    brief: BrainLayer,
    active: BrainLayer | None,
    *,
    budget: int,
    scope: Scope,
) -> ContextPack:
    pack = _Pack(budget)
    pack.add(f"# Context: {clip(task, 200)}")
    if brief.markdown:
        pack.add(f"## Brief\n\n{brief.markdown}")
    room = pack.left - count_tokens("## Relevant memory\n\n")
    chars = TEXT_CHARS[scope]
    relevant = grouped(list(hits), room, lambda hit: _hit_line(hit, chars), _group)
    if relevant.ids:
        pack.add(f"## Relevant memory\n\n{relevant.markdown}")
    if scope == "full" and active is not None and active.markdown:
        pack.add(f"## Active knowledge\n\n{active.markdown}")
    chosen = set(relevant.ids)
    markdown = pack.markdown
    return ContextPack(
        project=project,
        task=task,
        scope=scope,
        markdown=markdown,
        tokens=count_tokens(markdown),
        budget=budget,
        hits=[hit for hit in hits if hit.id in chosen],
    )


class _Pack:
    """Sections added while they fit; one that does not is left out whole."""

    def __init__(self, budget: int) -> None:
        self.left = budget
        self.parts: list[str] = []

    def add(self, section: str) -> None:
        cost = count_tokens(section + "\n\n")
        if cost <= self.left:
            self.parts.append(section)
            self.left -= cost

    @property
    def markdown(self) -> str:
        return "\n\n".join(self.parts) + "\n"


def _group(hit: Hit) -> str:
    if hit.kind == "source":
        return EVENTS_GROUP
    return hit.schema_key or "root"


def _hit_line(hit: Hit, chars: int) -> str:
    if hit.kind == "source":
        return f"- {clip(hit.text, chars)} [#{hit.id}]"
    kind = ", ".join(part for part in (hit.type, hit.status) if part)
    line = f"- **{clip(hit.title, 120)}**"
    if hit.text:
        line += f" — {clip(hit.text, chars)}"
    if kind:
        line += f" ({kind})"
    return line + f" [#{hit.id}]"
