"""The dashboard's pure helpers: bands, source labels, the schema-key tree, safe redirects."""

from __future__ import annotations

import pytest

from lore.server.web.brain import schema_tree
from lore.server.web.present import confidence_band, source_view
from lore.server.web.render import duration, page_window, payload_summary, safe_next


@pytest.mark.parametrize(
    ("confidence", "band"),
    [
        (1.0, "high"),
        (0.9, "high"),
        (0.8999, "moderate"),
        (0.7, "moderate"),
        (0.69, "lower"),
        (0.5, "lower"),
        (0.49, "low"),
        (0.0, "low"),
        (None, None),
    ],
)
def test_confidence_bands_follow_the_thresholds(confidence: float | None, band: str | None) -> None:
    assert confidence_band(confidence) == band


@pytest.mark.parametrize(
    ("name", "label", "icon"),
    [
        ("mcp", "MCP", "mcp"),
        ("cli", "CLI", "cli"),
        ("vscode", "VS Code", "vscode"),
        ("scan", "Scan", "scan"),
        ("git", "Git", "git"),
        ("claude-code", "Claude Code", "claude-code"),
        ("claude_code", "Claude Code", "claude-code"),
        ("jetbrains", "jetbrains", "source"),
    ],
)
def test_sources_have_labels_and_icons(name: str, label: str, icon: str) -> None:
    shown = source_view(name)
    assert (shown.name, shown.label, shown.icon) == (name, label, icon)


def test_the_schema_tree_counts_each_key_with_its_descendants() -> None:
    tree = schema_tree({"": 4, "root/backend": 1, "root/backend/auth": 3, "root/frontend": 2})
    (root,) = tree
    assert (root.key, root.count) == ("root", 6)
    backend, frontend = root.children
    assert (backend.key, backend.label, backend.count) == ("root/backend", "backend", 4)
    assert [(c.key, c.count) for c in backend.children] == [("root/backend/auth", 3)]
    assert (frontend.key, frontend.count, frontend.children) == ("root/frontend", 2, [])


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/sessions/3?tab=jobs", "/sessions/3?tab=jobs"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("relative", "/"),
    ],
)
def test_redirects_stay_on_the_site(target: str, expected: str) -> None:
    assert safe_next(target) == expected


def test_durations_read_naturally() -> None:
    assert [duration(v) for v in (None, 12.4, 1500, 125_000)] == [
        "—",
        "12 ms",
        "1.5 s",
        "2 min 5 s",
    ]


def test_payload_summary_prefers_telling_fields_and_shortens() -> None:
    assert payload_summary({"summary": "Moved to  cents", "x": 1}) == "Moved to cents"
    assert payload_summary({"b": 2, "a": 1}) == '{"a": 1, "b": 2}'
    commits = {"commits": [{"subject": "fix: race"}, {"subject": "feat: cents"}], "branch": "main"}
    assert payload_summary(commits) == "2 commits: fix: race; feat: cents"
    assert payload_summary({"text": "word " * 100}).endswith("…")
    assert len(payload_summary({"text": "word " * 100})) == 140


def test_page_window_clamps_to_the_pages_that_exist() -> None:
    assert page_window(1, 0, 10) == (1, 1)
    assert page_window(9, 25, 10) == (3, 3)
    assert page_window(0, 25, 10) == (1, 3)
