"""The brain: a project's memory as one markdown document in layers, built without an LLM.

- **L0 brief** (``brain_l0_tokens``, ~500): the stack (from the latest repository scan, else
  architecture items), the layout and the commands (from the scan and its procedures), key
  decisions, conventions, and the areas that changed most recently.
- **L1 active knowledge** (``brain_l1_tokens``, ~1,500): the current items by standing
  (approved first, then importance, confidence, recency), with their facts, grouped by schema key;
  items about ``active_files`` first.
- **L2 reference** (``brain_l2_tokens``, ~2,000, left out when compact): the titles of the
  items that did not fit above.
- **Archive**: archived and deprecated items are only counted; search reaches them.

Every layer is cut to its budget. The ETag is a hash of the project's item fingerprint (count,
last change), its latest scan and the options, so an unchanged brain is known without building it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from lore.config import RecallSettings
from lore.domain import Project
from lore.domain.graph import ITEM_KINDS
from lore.recall.models import Brain, BrainLayer
from lore.recall.search import about_files
from lore.recall.tokens import Budget, clip, count_tokens
from lore.store.base import ItemFilter, RecallFilter, RecallRow, Store

# Items the brain reads: the best by standing, and the most recently changed (active areas).
STANDING_ITEMS = 400
RECENT_ITEMS = 60
BRIEF_DECISIONS = 5
BRIEF_CONVENTIONS = 6
BRIEF_AREAS = 5
BRIEF_COMMANDS = 6
BRIEF_MODULES = 6
MODULE_DOC_CHARS = 70
FACT_CHARS = 220
BRIEF_CHARS = 110
SHOWN_LANGUAGES = 4
SHOWN_FRAMEWORKS = 8
ARCHIVED = ("archived", "deprecated")


def brain_etag(
    store: Store,
    settings: RecallSettings,
    project: Project,
    *,
    compact: bool,
    active_files: Sequence[str],
) -> str:
    options = [
        store.search.fingerprint(project.id),
        project.name,
        compact,
        sorted(active_files),
        settings.brain_l0_tokens,
        settings.brain_l1_tokens,
        settings.brain_l2_tokens,
    ]
    return hashlib.sha256(repr(options).encode()).hexdigest()[:24]


def build_brain(
    store: Store,
    settings: RecallSettings,
    project: Project,
    *,
    compact: bool = True,
    active_files: Sequence[str] = (),
) -> Brain:
    current = RecallFilter(kinds=ITEM_KINDS, hidden=ARCHIVED)
    items = store.search.ranked_items(project.id, current, limit=STANDING_ITEMS)
    if active_files:
        items.sort(key=lambda row: not about_files(row, active_files))  # stable: keeps standing
    recent = store.search.ranked_items(project.id, current, limit=RECENT_ITEMS, recent=True)
    scan = store.search.latest_event(project.id, "scan_result")
    brief, shown = _brief(project, items, recent, scan.payload if scan else None, settings)
    rest = [row for row in items if row.id not in shown]
    layers = [brief, _grouped_layer("L1", "Active knowledge", rest, settings.brain_l1_tokens)]
    if not compact:
        listed = set(layers[1].items)
        reference = [row for row in rest if row.id not in listed]
        layers.append(
            _grouped_layer(
                "L2", "Reference", reference, settings.brain_l2_tokens, line=_reference_line
            )
        )
    archived = store.graph.count_items(project.id, ItemFilter(statuses=ARCHIVED))
    markdown = _document(project, layers, archived)
    return Brain(
        project=project.name,
        markdown=markdown,
        etag=brain_etag(store, settings, project, compact=compact, active_files=active_files),
        tokens=count_tokens(markdown),
        layers=layers,
        archived=archived,
    )


def item_line(row: RecallRow) -> str:
    """An item as L1 and context packs show it: title, facts, type and status, id."""
    facts = clip(row.body, FACT_CHARS) if row.body else ""
    kind = ", ".join(part for part in (row.type, row.status) if part)
    parts = [f"- **{clip(row.title, 120)}**"]
    if facts:
        parts.append(f"— {facts}")
    if kind:
        parts.append(f"({kind})")
    parts.append(f"[#{row.id}]")
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Grouped:
    markdown: str
    tokens: int
    ids: list[int]


class Identified(Protocol):
    @property
    def id(self) -> int: ...


T = TypeVar("T", bound=Identified)


def grouped(
    rows: Sequence[T],
    budget: int,
    line: Callable[[T], str],
    key: Callable[[T], str],
) -> Grouped:
    """Rows taken in order while they fit in ``budget`` (a group's heading counts with its
    first row), then written grouped under ``### key`` headings, groups in order of their
    best row."""
    chosen: dict[str, list[str]] = {}
    ids: list[int] = []
    used = 0
    for row in rows:
        group, text = key(row), line(row)
        cost = count_tokens(text + "\n")
        if group not in chosen:
            cost += count_tokens(f"### {group}\n\n")
        if used + cost > budget:
            continue
        chosen.setdefault(group, []).append(text)
        ids.append(row.id)
        used += cost
    blocks = [f"### {group}\n" + "\n".join(lines) for group, lines in chosen.items()]
    markdown = "\n\n".join(blocks)
    return Grouped(markdown, count_tokens(markdown), ids)


def schema_group(row: RecallRow) -> str:
    return row.schema_key or "root"


def _brief(
    project: Project,
    items: Sequence[RecallRow],
    recent: Sequence[RecallRow],
    scan: dict[str, Any] | None,
    settings: RecallSettings,
) -> tuple[BrainLayer, set[int]]:
    budget = Budget(settings.brain_l0_tokens - count_tokens("## L0 · Brief\n\n"))
    shown: set[int] = set()
    stack = "; ".join(part for part in (_stack(scan, items), _tooling(scan)) if part)
    if stack:
        budget.add(f"**Stack:** {stack}")
    layout = _layout(scan)
    if layout:
        budget.add(f"**Layout:** {layout}")
    modules = _modules(scan)
    if modules:
        budget.add(f"**Main modules:** {modules}")
    commands = [row for row in items if (row.schema_key or "").startswith("root/commands/")]
    if commands:
        shown.update(row.id for row in commands[:BRIEF_COMMANDS])
        budget.add(
            "**Commands:** "
            + "; ".join(clip(r.title, BRIEF_CHARS) for r in commands[:BRIEF_COMMANDS])
        )
    for heading, wanted, count in (
        ("Key decisions", "decision", BRIEF_DECISIONS),
        ("Conventions", "convention", BRIEF_CONVENTIONS),
    ):
        chosen = [row for row in items if row.type == wanted and row.id not in shown][:count]
        if chosen and budget.add(_separated(budget, f"**{heading}:**")):
            for row in chosen:
                if budget.add(f"- {_brief_line(row)} [#{row.id}]"):
                    shown.add(row.id)
    areas = _active_areas(recent)
    if areas:
        budget.add(_separated(budget, f"**Active areas:** {areas}"))
    layer = BrainLayer(
        name="L0",
        title="Brief",
        markdown=budget.text,
        tokens=budget.used,
        budget=settings.brain_l0_tokens,
        items=sorted(shown),
    )
    return layer, shown


def _separated(budget: Budget, line: str) -> str:
    """A line that starts a new paragraph (a blank line before it, unless it is the first)."""
    return f"\n{line}" if budget.lines else line


def _brief_line(row: RecallRow) -> str:
    title = clip(row.title, BRIEF_CHARS)
    if not row.body or len(title) >= BRIEF_CHARS:
        return title
    return f"{title} — {clip(row.body, BRIEF_CHARS - len(title))}"


def _stack(scan: dict[str, Any] | None, items: Sequence[RecallRow]) -> str:
    """Languages and frameworks of the latest scan; else the best architecture item."""
    if scan:
        languages = _biggest_first(scan.get("languages") or {})[:SHOWN_LANGUAGES]
        frameworks = [
            entry["name"] for entry in scan.get("frameworks") or [] if isinstance(entry, dict)
        ][:SHOWN_FRAMEWORKS]
        parts = [", ".join(languages)] if languages else []
        if frameworks:
            parts.append("with " + ", ".join(frameworks))
        if parts:
            return " ".join(parts)
    architecture = next((row for row in items if row.type == "architecture"), None)
    return _brief_line(architecture) if architecture else ""


def _layout(scan: dict[str, Any] | None) -> str:
    """Where the code, the tests, the docs and the examples live, by the latest scan's roles."""
    layout = (scan or {}).get("layout")
    if not isinstance(layout, dict):
        return ""
    parts = [
        f"{role} in " + ", ".join(f"`{folder}`" for folder in layout[role][:3])
        for role in ("code", "tests", "docs", "examples")
        if layout.get(role)
    ]
    return ", ".join(parts)


def _modules(scan: dict[str, Any] | None) -> str:
    """The packages with most modules: those that say what they are for first, with it."""
    layout = (scan or {}).get("layout")
    packages = layout.get("packages") if isinstance(layout, dict) else None
    listed = sorted(
        (p for p in packages or [] if isinstance(p, dict) and p.get("folder")),
        key=lambda p: not p.get("doc"),
    )
    return "; ".join(
        f"`{p['folder']}` ({clip(str(p['doc']), MODULE_DOC_CHARS)})"
        if p.get("doc")
        else f"`{p['folder']}` ({p.get('modules')} modules)"
        for p in listed[:BRIEF_MODULES]
    )


def _tooling(scan: dict[str, Any] | None) -> str:
    """Supported versions (the most telling source's), build backend, linters."""
    tooling = (scan or {}).get("tooling")
    if not isinstance(tooling, dict):
        return ""
    versions: dict[str, str] = {}
    for entry in tooling.get("versions") or []:
        versions.setdefault(str(entry["language"]), str(entry["versions"]))
    builds = [str(entry["tool"]) for entry in tooling.get("build") or []]
    linters = list(dict.fromkeys(str(entry["tool"]) for entry in tooling.get("linters") or []))
    parts = [f"supports {language} {shown}" for language, shown in versions.items()]
    parts += [f"built with {', '.join(builds)}"] if builds else []
    parts += [f"linted with {', '.join(linters[:5])}"] if linters else []
    return "; ".join(parts)


def _biggest_first(languages: dict[str, Any]) -> list[str]:
    """Language names by lines of code, most first (stored payloads come back sorted by name)."""

    def lines(name: str) -> int:
        entry = languages[name]
        return int(entry.get("lines", 0)) if isinstance(entry, dict) else 0

    return sorted(languages, key=lambda name: -lines(name))


def _active_areas(recent: Sequence[RecallRow]) -> str:
    """Schema keys of the most recently changed items, busiest first."""
    counts: dict[str, int] = {}
    for row in recent:
        if row.schema_key:
            counts[row.schema_key] = counts.get(row.schema_key, 0) + 1
    busiest = sorted(counts.items(), key=lambda pair: -pair[1])[:BRIEF_AREAS]
    return ", ".join(f"{key} ({count})" for key, count in busiest)


def _grouped_layer(
    name: str,
    title: str,
    rows: Sequence[RecallRow],
    budget: int,
    *,
    line: Callable[[RecallRow], str] = item_line,
) -> BrainLayer:
    heading_cost = count_tokens(f"## {name} · {title}\n\n")
    result = grouped(rows, max(0, budget - heading_cost), line, schema_group)
    return BrainLayer(
        name=name,
        title=title,
        markdown=result.markdown,
        tokens=result.tokens,
        budget=budget,
        items=result.ids,
    )


def _reference_line(row: RecallRow) -> str:
    kind = f" ({row.type})" if row.type else ""
    return f"- {clip(row.title, 100)}{kind} [#{row.id}]"


def _document(project: Project, layers: Sequence[BrainLayer], archived: int) -> str:
    parts = [f"# Brain: {project.name}"]
    for layer in layers:
        body = layer.markdown or "_Nothing yet._"
        parts.append(f"## {layer.name} · {layer.title}\n\n{body}")
    if archived:
        plural = "item is" if archived == 1 else "items are"
        parts.append(f"_Archive: {archived} {plural} reachable by search only._")
    return "\n\n".join(parts) + "\n"
