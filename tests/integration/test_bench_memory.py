"""The first-hour memory benchmark end to end on a small repository served over real HTTP: the
archive is fetched and checked, the memory built through the real commands, and each question
scored by its answer patterns in the top results."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles

from lore.bench.memory import fetch, run
from lore.errors import LoreError
from tests.servers import running

PROJECT = {
    "inventory-1.0/README.md": "# inventory\n\nTracks stock levels for small shops.\n",
    "inventory-1.0/pyproject.toml": (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "inventory"\nrequires-python = ">=3.10"\n'
    ),
    "inventory-1.0/inventory/__init__.py": '"""Stock levels for small shops."""\n',
    "inventory-1.0/inventory/ledger.py": (
        '"""The ledger: every movement of stock."""\n\n\n'
        "class Ledger:\n"
        '    """Records stock movements and answers the level of an article."""\n\n'
        "    def level(self, article: str) -> int: ...\n"
    ),
}


def archive_bytes() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in PROJECT.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(URL of the archive on a real local server, its sha256)."""
    folder = tmp_path / "www"
    folder.mkdir()
    data = archive_bytes()
    (folder / "inventory-1.0.tar.gz").write_bytes(data)
    app = Starlette()
    app.mount("/", StaticFiles(directory=folder))
    with running(app) as base:
        yield f"{base}/inventory-1.0.tar.gz", hashlib.sha256(data).hexdigest()


def test_the_benchmark_builds_the_memory_and_scores_each_question(
    served: tuple[str, str], tmp_path: Path
) -> None:
    url, sha256 = served
    question_set = tmp_path / "set.json"
    question = {"category": "code"}
    question_set.write_text(
        json.dumps(
            {
                "name": "tiny",
                "repositories": [
                    {
                        "id": "inventory",
                        "kind": "Python library",
                        "archive": {"url": url, "sha256": sha256, "root": "inventory-1.0"},
                        "questions": [
                            question | {"id": "q1", "question": "Where is the Ledger class defined?",
                                        "answers": ["inventory/ledger\\.py"]},
                            question | {"id": "q2", "question": "What build backend is used?",
                                        "answers": ["hatchling"]},
                            question | {"id": "q3", "question": "Which message broker is used?",
                                        "answers": ["rabbitmq"]},
                        ],
                    }
                ],
            }
        )
    )  # fmt: skip
    figures = run(question_set, cache=tmp_path / "cache")
    (repo,) = figures.repositories
    assert [answer.found for answer in repo.answers] == [True, True, False]
    assert repo.answers[0].rank == 1 and repo.items > 0
    assert figures.as_dict()["found"] == 2 and figures.as_dict()["asked"] == 3


def test_an_archive_whose_sha256_differs_from_the_pin_is_refused(
    served: tuple[str, str], tmp_path: Path
) -> None:
    url, _ = served
    with pytest.raises(LoreError, match="not the pinned"):
        fetch({"url": url, "sha256": "0" * 64}, tmp_path / "cache")
    assert not list((tmp_path / "cache").iterdir())  # nothing wrong is kept
