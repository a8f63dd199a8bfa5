"""The brain and context packs on a real store: layers, budgets, ETags and grouping."""

from __future__ import annotations

import pytest

from lore import Lore
from lore.config import load_settings
from lore.domain import Project
from lore.domain.graph import NodeDraft
from lore.recall.tokens import count_tokens
from tests.graph_seed import apply_items
from tests.recall_memory import add_items, chat, item

TYPES = ("decision", "convention", "implementation", "bug", "todo", "architecture")
AREAS = ("root/api/auth", "root/store/sqlite", "root/web/dashboard", "root/cli")


def many_items(count: int) -> list:  # type: ignore[type-arg]
    return [
        item(
            f"i{index}",
            f"Item {index} about {AREAS[index % len(AREAS)].rsplit('/', 1)[-1]} handling",
            f"Fact number {index}: the {TYPES[index % len(TYPES)]} says to keep handler {index}"
            " small, log its errors once and return typed results to the caller.",
            type=TYPES[index % len(TYPES)],
            schema_key=AREAS[index % len(AREAS)],
            files=[f"src/app/{AREAS[index % len(AREAS)].rsplit('/', 1)[-1]}/h{index}.py"],
            status="approved" if index % 3 == 0 else "draft",
            importance=round((index % 10) / 10, 1),
        )
        for index in range(count)
    ]


@pytest.fixture
def big(lore: Lore, project: Project) -> dict[str, int]:
    ids = add_items(lore, project, many_items(200))
    ids |= add_items(
        lore,
        project,
        [
            item(
                "gone", "Old queue on Redis", "Replaced by the SQLite job table.", status="archived"
            ),
            item("wrong", "Use tabs", "Nobody agreed to this.", status="deprecated"),
        ],
    )
    return ids


def test_every_layer_stays_within_its_budget(
    lore: Lore, project: Project, big: dict[str, int]
) -> None:
    brain = lore.brain(project, compact=False)
    settings = lore.settings.recall
    budgets = [settings.brain_l0_tokens, settings.brain_l1_tokens, settings.brain_l2_tokens]
    assert [layer.name for layer in brain.layers] == ["L0", "L1", "L2"]
    for layer, budget in zip(brain.layers, budgets, strict=True):
        assert layer.budget == budget
        assert 0 < layer.tokens <= budget
        assert count_tokens(layer.markdown) <= budget
    assert brain.tokens <= sum(budgets) + 50  # headings and the archive line
    shown = [node for layer in brain.layers for node in layer.items]
    assert len(shown) == len(set(shown)), "an item is shown in one layer only"
    assert big["gone"] not in shown and big["wrong"] not in shown
    assert brain.archived == 2
    assert "reachable by search only" in brain.markdown


def test_compact_leaves_out_the_reference_layer(
    lore: Lore, project: Project, big: dict[str, int]
) -> None:
    compact = lore.brain(project)
    assert [layer.name for layer in compact.layers] == ["L0", "L1"]
    assert "## L2" not in compact.markdown
    assert compact.etag != lore.brain(project, compact=False).etag


def test_the_brief_names_decisions_conventions_and_active_areas(
    lore: Lore, project: Project, big: dict[str, int]
) -> None:
    brief = lore.brain(project).layers[0].markdown
    assert "**Key decisions:**" in brief and "**Conventions:**" in brief
    assert "**Active areas:**" in brief and "root/" in brief
    decisions = brief.split("**Key decisions:**")[1].split("**Conventions:**")[0]
    shown = [int(part.split("]")[0]) for part in decisions.split("[#")[1:]]
    assert len(shown) == 5
    for node in lore.store.graph.get_many(shown):
        assert (node.type, node.status, node.importance) == ("decision", "approved", 0.8)


def test_l1_groups_items_by_schema_key(lore: Lore, project: Project, big: dict[str, int]) -> None:
    active = lore.brain(project).layers[1].markdown
    headings = [line for line in active.splitlines() if line.startswith("### ")]
    assert len(headings) == len(set(headings)) >= 2
    assert all(heading.removeprefix("### ") in AREAS for heading in headings)


def test_active_files_come_first(lore: Lore, project: Project, big: dict[str, int]) -> None:
    wanted = "src/app/cli/h3.py"
    brain = lore.brain(project, active_files=[wanted])
    assert brain.layers[1].items[0] == big["i3"]


def test_the_stack_comes_from_the_latest_scan(lore: Lore, project: Project) -> None:
    lore.capture_event(
        "scan",
        "scan_result",
        {
            "root": "/repo",
            "languages": {
                "CSS": {"files": 1, "lines": 40},
                "Python": {"files": 10, "lines": 900},
                "TypeScript": {"files": 2, "lines": 300},
            },
            "frameworks": [{"name": "FastAPI", "category": "web"}, {"name": "pytest"}],
        },
        project=project,
    )
    brief = lore.brain(project).layers[0].markdown
    # Biggest first, though the stored payload lists languages by name.
    assert brief.startswith("**Stack:** Python, TypeScript, CSS with FastAPI, pytest")


def test_the_etag_holds_until_an_item_changes(
    lore: Lore, project: Project, big: dict[str, int]
) -> None:
    first = lore.brain(project)
    assert lore.brain(project).etag == first.etag
    assert lore.recall_service.brain_etag(project) == first.etag
    lore.recall(project, "handler errors")  # access counts do not change the brain
    assert lore.brain(project).etag == first.etag
    lore.store.graph.update(big["i5"], title="Renamed item")
    assert lore.brain(project).etag != first.etag


def test_budgets_come_from_settings(lore_home: object) -> None:
    settings = load_settings(overrides={"recall.brain_l1_tokens": 120})
    with Lore.open(settings=settings) as small:
        project = small.create_project("small")
        add_items(small, project, many_items(30))
        layer = small.brain(project).layers[1]
        assert layer.budget == 120 and 0 < layer.tokens <= 120


def test_an_empty_project_has_a_brain_too(lore: Lore, project: Project) -> None:
    brain = lore.brain(project)
    assert brain.markdown.startswith("# Brain: demo")
    assert "_Nothing yet._" in brain.markdown


def test_a_context_pack_fits_its_budget_and_groups_by_schema_key(
    lore: Lore, project: Project, big: dict[str, int]
) -> None:
    chat(lore, project, [("ana", "the auth handler logs every error twice"), ("li", "fixed")])
    for budget in (300, 1000, 4000):
        pack = lore.context_pack(
            project, "clean up error logging in the auth handlers", budget=budget
        )
        assert pack.tokens <= budget
        assert pack.markdown.startswith("# Context: clean up error logging")
        assert pack.hits, "some memories fit"
        assert all(f"[#{hit.id}]" in pack.markdown for hit in pack.hits)
    pack = lore.context_pack(project, "clean up error logging in the auth handlers")
    assert "## Brief" in pack.markdown and "## Relevant memory" in pack.markdown
    groups = [line for line in pack.markdown.splitlines() if line.startswith("### ")]
    assert len(groups) == len(set(groups))
    assert "### events" in groups or "### root/api/auth" in groups


def test_context_pack_scopes(lore: Lore, project: Project, big: dict[str, int]) -> None:
    task = "make the sqlite store handlers smaller"
    minimal = lore.context_pack(project, task, scope="minimal")
    relevant = lore.context_pack(project, task, scope="relevant")
    full = lore.context_pack(project, task, scope="full", budget=8000)
    assert len(minimal.hits) <= 5 < len(relevant.hits)
    assert "## Active knowledge" in full.markdown
    assert "## Active knowledge" not in relevant.markdown
    assert full.tokens <= 8000


def test_the_brief_states_the_layout_and_the_commands(lore: Lore, project: Project) -> None:
    scan = {
        "root": "/repo",
        "languages": {"Python": {"files": 40, "lines": 4000}},
        "layout": {
            "code": ["src/shop"], "tests": ["tests"], "docs": ["docs"], "examples": ["examples"],
            "packages": [
                {"folder": "src/shop/orders", "modules": 9, "doc": "Orders: carts to invoices."},
                {"folder": "src/shop/util", "modules": 4, "doc": ""},
            ],
        },
        "tooling": {
            "versions": [
                {"language": "Python", "versions": "3.10, 3.11", "how": "classifiers"},
                {"language": "Python", "versions": ">=3.10", "how": "requires-python"},
            ],
            "build": [{"tool": "Hatchling", "source": "pyproject.toml"}],
            "linters": [{"tool": "Ruff", "source": "pyproject.toml"}],
        },
    }  # fmt: skip
    lore.capture_event("scan", "scan_result", scan, project=project)
    apply_items(
        lore,
        project,
        [
            NodeDraft(ref="t", kind="procedural", type="implementation",
                      title="Run the tests: `make test`", schema_key="root/commands/test"),
            NodeDraft(ref="l", kind="procedural", type="implementation",
                      title="Lint the code: `make lint`", schema_key="root/commands/lint"),
        ],
    )  # fmt: skip
    brief = lore.brain(project).layers[0].markdown
    assert (
        "**Layout:** code in `src/shop`, tests in `tests`, docs in `docs`, examples in `examples`"
        in brief
    )
    assert (
        "**Stack:** Python; supports Python 3.10, 3.11; built with Hatchling; linted with Ruff"
        in brief
    )
    assert (
        "**Main modules:** `src/shop/orders` (Orders: carts to invoices.); `src/shop/util` (4 modules)\n"
        in brief
    )
    assert "Run the tests: `make test`" in brief and "Lint the code: `make lint`" in brief
