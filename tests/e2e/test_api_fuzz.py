"""The REST API fuzzed from its own OpenAPI schema (schemathesis, bounded): no input, however
malformed, gets a 5xx, and every error is the JSON error body."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies
from schemathesis import GenerationMode

from lore import Lore
from lore.config import load_settings
from lore.server import build_app
from tests.servers import running

TOKEN = "fuzz-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLES = 30


@pytest.fixture
def served(lore_home: Path) -> Iterator[str]:
    """A real server over a memory with a default project and a few records to find."""
    with Lore.open(settings=load_settings(overrides={"project": "demo"})) as lore:
        project = lore.create_project("demo")
        lore.capture_event("cli", "note", {"text": "Use integer cents for money."}, project=project)
        with running(build_app(lore, token=TOKEN)) as url:
            yield url


def test_no_input_gets_a_server_error(served: str) -> None:
    """Every operation of the schema, each with examples that fit its schema and ones that do
    not (negative data: wrong types, huge integers, odd strings)."""
    api = schemathesis.openapi.from_url(f"{served}/openapi.json", headers=AUTH)
    failures: list[str] = []

    for result in api.get_all_operations():
        operation = result.ok()

        modes = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]

        @given(case=strategies.one_of(modes))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(base_url=served, headers=AUTH, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text[:200]}")

        call()
    if failures:
        Path("/tmp/fz/failures.txt").write_text("\n".join(failures))
    assert failures == []
