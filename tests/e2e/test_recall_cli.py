"""`lore search`, `lore brain`, `lore context` and `lore ask` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lore import Lore
from lore.domain import Project
from tests.recall_memory import add_items, two_items

LORE = [sys.executable, "-m", "lore"]


def lore_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LORE, *args], cwd=cwd, capture_output=True, text=True, env=os.environ)


@pytest.fixture
def memory(lore: Lore, project: Project) -> dict[str, int]:
    return add_items(lore, project, two_items())


def test_search_prints_a_table_or_json(tmp_path: Path, memory: dict[str, int]) -> None:
    shown = lore_cli("search", "journal_mode", "--project", "demo", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "SQLite runs in WAL mode" in shown.stdout
    as_json = lore_cli("search", "E501", "-p", "demo", "--json", "-n", "1", cwd=tmp_path)
    hits = json.loads(as_json.stdout)
    assert [hit["id"] for hit in hits] == [memory["ruff"]]
    typed = lore_cli("search", "anything", "-p", "demo", "-t", "decision", "--json", cwd=tmp_path)
    assert [hit["id"] for hit in json.loads(typed.stdout)] == [memory["wal"]]


def test_search_rejects_a_bad_mode(tmp_path: Path, memory: dict[str, int]) -> None:
    result = lore_cli("search", "x", "-p", "demo", "--mode", "psychic", cwd=tmp_path)
    assert result.returncode == 2
    assert "mode must be one of" in result.stderr
    zero = lore_cli("search", "x", "-p", "demo", "--budget", "0", cwd=tmp_path)
    assert zero.returncode == 2 and "max_tokens must be within" in zero.stderr


def test_search_within_a_budget_shows_each_hits_tokens(
    tmp_path: Path, memory: dict[str, int]
) -> None:
    shown = lore_cli(
        "search", "how do we work", "-p", "demo", "--budget", "60", "--json", cwd=tmp_path
    )
    assert shown.returncode == 0, shown.stderr
    hits = json.loads(shown.stdout)
    assert hits and sum(hit["tokens"] for hit in hits) <= 60
    index = lore_cli("search", "how do we work", "-p", "demo", "--compact", cwd=tmp_path)
    assert index.returncode == 0, index.stderr
    assert all(line.startswith("#") and "tokens)" in line for line in index.stdout.splitlines())


def test_brain_and_context_print_markdown(tmp_path: Path, memory: dict[str, int]) -> None:
    brain = lore_cli("brain", "-p", "demo", "--full", cwd=tmp_path)
    assert brain.returncode == 0, brain.stderr
    assert brain.stdout.startswith("# Brain: demo")
    assert "## L2 · Reference" in brain.stdout
    pack = lore_cli("context", "tune sqlite", "-p", "demo", "--budget", "300", cwd=tmp_path)
    assert pack.stdout.startswith("# Context: tune sqlite")
    assert "SQLite runs in WAL mode" in pack.stdout
    as_json = json.loads(
        lore_cli("context", "tune sqlite", "-p", "demo", "--json", cwd=tmp_path).stdout
    )
    assert as_json["budget"] == 4000 and as_json["tokens"] <= 4000


def test_ask_offline_says_what_it_needs(tmp_path: Path, memory: dict[str, int]) -> None:
    result = lore_cli("ask", "why WAL?", "-p", "demo", cwd=tmp_path)
    assert result.returncode == 1
    assert "ask needs an LLM" in result.stderr


def test_timeline_needs_what_it_is_around(tmp_path: Path, memory: dict[str, int]) -> None:
    refused = lore_cli("timeline", "-p", "demo", cwd=tmp_path)
    assert refused.returncode == 2 and "give one of item, session or around" in refused.stderr
    shown = lore_cli("timeline", "-p", "demo", "--around", "2026-01-01", "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert isinstance(json.loads(shown.stdout), list)


def test_search_shows_why_each_hit_matched_and_admits_no_good_match(
    tmp_path: Path, memory: dict[str, int]
) -> None:
    shown = lore_cli("search", "journal_mode", "-p", "demo", cwd=tmp_path)
    assert "words" in shown.stdout and "No good match" not in shown.stdout
    made_up = lore_cli("search", "xyzzy plugh frobnicate", "-p", "demo", cwd=tmp_path)
    assert made_up.returncode == 0 and "meaning" in made_up.stdout  # the nearest, still shown
    assert "No good match" in " ".join(made_up.stderr.split())
