"""The project's documents as memory: which files are read, how they are cut into sections,
and the items a scan makes of them."""

from __future__ import annotations

from pathlib import Path

from lore import Lore
from lore.capture.docs import describe_docs, doc_files, first_paragraph, sections
from lore.domain import Project
from lore.extraction.events_text import event_text, normalise, quote_found
from lore.extraction.offline import Options, extract
from tests.gitrepo import GitRepo
from tests.pipeline_helpers import event

README = """\
# Shop

[![build](https://ci/badge.svg)](https://ci)

A small shop: a Next.js front end and a FastAPI back end.

## Installation

On a fresh machine:

```bash
# the virtual environment first
python -m venv .venv
pip install -e .
```

## Usage

### Running

Start it with `shop serve`.

### Configuration

Settings live in `shop.toml`.

## License

MIT.
"""
CONTRIBUTING = """\
Contributing
============

Releases
--------

- Bump the version in `pyproject.toml`
- Tag `vX.Y.Z`; the publish workflow does the rest
"""


def test_documents_are_the_top_level_guides_and_the_docs_folder() -> None:
    files = [
        "README.md", "CONTRIBUTING.rst", "CHANGELOG.md", "LICENSE", "setup.py",
        "docs/index.md", "docs/guide/deploy.rst", "docs/conf.py", "examples/README.md",
    ]  # fmt: skip
    assert doc_files(files) == [
        "CONTRIBUTING.rst",
        "README.md",
        "docs/guide/deploy.rst",
        "docs/index.md",
    ]


def test_sections_follow_markdown_and_underlined_headings_but_not_code() -> None:
    found = sections(README)
    assert [(s.level, s.heading) for s in found] == [
        (1, "Shop"),
        (2, "Installation"),
        (2, "Usage"),
        (3, "Running"),
        (3, "Configuration"),
        (2, "License"),
    ]
    assert [(s.level, s.heading) for s in sections(CONTRIBUTING)] == [
        (1, "Contributing"),
        (2, "Releases"),
    ]


def test_a_first_paragraph_skips_badges_and_carries_the_commands_it_introduces() -> None:
    assert first_paragraph(sections(README)[0].body) == (
        "A small shop: a Next.js front end and a FastAPI back end."
    )
    assert first_paragraph(sections(README)[1].body) == (
        "On a fresh machine: `python -m venv .venv`; `pip install -e .`"
    )
    assert first_paragraph(sections(CONTRIBUTING)[1].body) == (
        "Bump the version in `pyproject.toml`; Tag `vX.Y.Z`; the publish workflow does the rest"
    )


def test_each_top_section_becomes_an_item_with_its_subsections(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "shop")
    repo.commit("docs", {"README.md": README, "CONTRIBUTING.rst": CONTRIBUTING})
    documents = describe_docs(repo.root, ["CONTRIBUTING.rst", "README.md"])
    events = [event(i + 1, "doc_sections", doc, source="scan") for i, doc in enumerate(documents)]
    items = {item.title: item for item in extract(events, Options())}
    assert sorted(items) == [
        "CONTRIBUTING.rst: Contributing › Releases",
        "README.md: Shop › Installation",
        "README.md: Shop › Usage",
    ]  # the README's opening is the overview item's; the licence says nothing of the code
    usage = items["README.md: Shop › Usage"]
    assert usage.facts == [
        "Running: Start it with `shop serve`.",
        "Configuration: Settings live in `shop.toml`.",
    ]
    assert items["CONTRIBUTING.rst: Contributing › Releases"].type == "convention"
    assert usage.type == "architecture" and usage.files == ["README.md"]
    texts = {e.id: normalise(event_text(e)) for e in events}
    for item in items.values():
        assert all(quote_found(ref.quote, texts[ref.event_id]) for ref in item.evidence)


def test_a_scan_captures_one_event_per_document(
    lore: Lore, project: Project, tmp_path: Path
) -> None:
    repo = GitRepo(tmp_path / "shop")
    repo.commit(
        "docs",
        {
            "README.md": README,
            "docs/deploy.md": "# Deploy\n\nPush a tag.\n",
            "examples/demo/README.md": "# Demo\n\nNot the project's.\n",
        },
    )
    result = lore.scan(repo.root, project=project)
    assert [doc["path"] for doc in result.docs] == ["README.md", "docs/deploy.md"]
    stored = lore.store.events.for_session(result.session_id)
    assert sorted(e.payload["path"] for e in stored if e.type == "doc_sections") == [
        "README.md",
        "docs/deploy.md",
    ]


def test_a_banner_of_html_entities_and_links_is_not_the_summary() -> None:
    banner = '&nbsp;\n\n<p align="center">\n  <a href="https://x">Home</a>\n</p>\n\n'
    banner += "[![build](https://ci/b.svg)](https://ci) [docs](https://docs)\n\n"
    assert first_paragraph(banner + "Ghost is a publishing platform.", lists=False) == (
        "Ghost is a publishing platform."
    )
    assert first_paragraph("Push a tag.") == "Push a tag."
