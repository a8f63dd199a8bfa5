"""``lore config``, ``lore doctor``, ``lore reembed`` and ``lore bench embed`` as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from lore.config import load_settings
from lore.domain import ProjectSettings
from lore.store import open_store
from tests.fake_llm import FakeLLM, anthropic_error, fake_llm_server, openai_chat

SECRET = "sk-do-not-print-9f8e7d"


def lore(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lore", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250", **env},
        timeout=120,
    )


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with fake_llm_server() as server:
        yield server


def test_config_shows_each_value_with_its_source_and_masks_keys(
    tmp_path: Path, lore_home: Path
) -> None:
    lore_home.mkdir(parents=True)
    (lore_home / "config.toml").write_text('[llm]\nprovider = "openai"\ntimeout_s = 12.5\n')
    (tmp_path / ".lore.toml").write_text(
        'project = "shop"\n[config.llm]\nbase_url = "http://user:pw@localhost:11434/v1"\n'
    )
    untrusted = lore("config", "--json", cwd=tmp_path)
    rows = {row["key"]: (row["value"], row["source"]) for row in json.loads(untrusted.stdout)}
    assert rows["llm.base_url"] == ("", "default")  # a repository's file is not trusted yet
    assert "ignoring llm.base_url" in " ".join(untrusted.stderr.split())
    trusted = lore("trust", cwd=tmp_path)
    assert trusted.returncode == 0 and "llm.base_url" in trusted.stdout, trusted.stderr
    result = lore(
        "config", "--json", cwd=tmp_path, LORE_LLM_API_KEY=SECRET, LORE_LLM_MODEL="qwen2.5"
    )
    assert result.returncode == 0, result.stderr
    assert "ignoring" not in result.stderr
    assert SECRET not in result.stdout and "pw@" not in result.stdout
    rows = {row["key"]: (row["value"], row["source"]) for row in json.loads(result.stdout)}
    assert rows["llm.provider"] == ("openai", str(lore_home / "config.toml"))
    assert rows["llm.timeout_s"] == ("12.5", str(lore_home / "config.toml"))
    assert rows["llm.base_url"] == ("http://****@localhost:11434/v1", str(tmp_path / ".lore.toml"))
    assert rows["project"] == ("shop", str(tmp_path / ".lore.toml"))
    assert rows["llm.model"] == ("qwen2.5", "environment")
    assert rows["llm.api_key"] == ("****", "environment")
    assert rows["embedding.model"] == ("all-MiniLM-L6-v2", "default")

    table = lore("config", cwd=tmp_path, LORE_LLM_API_KEY=SECRET)
    assert table.returncode == 0 and SECRET not in table.stdout
    assert "environment" in table.stdout and "project file:" in table.stdout


def test_doctor_offline_says_so_and_checks_embeddings_and_database(tmp_path: Path) -> None:
    result = lore("doctor", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "LLM: offline (rule-based extraction; no model configured)" in result.stdout
    assert "Embeddings: local all-MiniLM-L6-v2, 384 dims" in result.stdout
    assert "Database: not created yet" in result.stdout


def test_doctor_calls_each_configured_model_once(
    tmp_path: Path, lore_home: Path, fake: FakeLLM
) -> None:
    fake.queue(openai_chat("ok"), anthropic_error(401, "authentication_error", "invalid x-api-key"))
    lore_home.mkdir(parents=True)
    (lore_home / "config.toml").write_text(
        "[llm]\n"
        'provider = "openai"\n'
        f'base_url = "{fake.openai_url}"\n'
        'model = "local-model"\n'
        "[[llm.fallbacks]]\n"
        'provider = "anthropic"\n'
        f'base_url = "{fake.url}"\n'
        'model = "claude-test"\n'
    )
    result = lore("doctor", cwd=tmp_path, LORE_LLM_API_KEY=SECRET)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    primary = next(line for line in lines if "LLM primary" in line)
    fallback = next(line for line in lines if "LLM fallback 1" in line)
    assert (
        primary.startswith("ok") and "openai local-model" in primary and "replied 'ok'" in primary
    )
    assert fallback.startswith("FAIL") and "invalid x-api-key" in fallback
    assert [r.path for r in fake.requests] == ["/v1/chat/completions", "/v1/messages"]
    assert SECRET not in result.stdout + result.stderr


def test_doctor_reports_a_half_configured_llm(tmp_path: Path) -> None:
    result = lore("doctor", cwd=tmp_path, LORE_LLM_MODEL="gpt-4o-mini")
    assert result.returncode == 1
    assert "llm.provider is offline" in result.stdout


def test_reembed_moves_a_project_to_the_configured_model(tmp_path: Path) -> None:
    store = open_store(load_settings().settings)
    try:
        project = store.projects.create("shop", None, ProjectSettings())
        store.projects.set_embedding_model(project.id, "old-model", 2)
        with store.db.write() as conn:  # type: ignore[attr-defined]
            ids = [
                conn.execute(
                    "INSERT INTO nodes (project_id, kind, title, created_at, updated_at)"
                    " VALUES (?, 'semantic', ?, ?, ?)",
                    (project.id, f"fact {i}", time.time(), time.time()),
                ).lastrowid
                for i in range(3)
            ]
        store.vectors.put("old-model", ids, np.ones((3, 2), dtype=np.float32))
    finally:
        store.close()

    result = lore("reembed", "--project", "shop", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "shop: 3 nodes, 0 event windows and 0 subgoals embedded with all-MiniLM-L6-v2"
        in result.stdout
    )

    store = open_store(load_settings().settings)
    try:
        assert store.projects.get(project.id).embedding_model == "all-MiniLM-L6-v2"
        assert store.vectors.all_for_project(project.id)[1].shape == (3, 384)
    finally:
        store.close()


def test_reembed_of_an_unknown_project_is_a_clean_error(tmp_path: Path) -> None:
    result = lore("reembed", "--project", "nope", cwd=tmp_path)
    assert result.returncode == 1
    assert "no project named 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_bench_embed_reports_its_figures(tmp_path: Path) -> None:
    result = lore("bench", "embed", "--texts", "300", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["model"] == "all-MiniLM-L6-v2" and figures["dim"] == 384
    assert figures["texts"] == 300 and figures["texts_per_s"] > 0
    assert 0 < figures["cold_load_s"] < 10
    assert set(figures["meets_targets"]) == {"cold_load_s", "texts_per_s"}
