"""The repository scan on a small fixture repository: what the ``scan_result`` event says, what
it leaves out (ignored files, junk folders), how it stays under the size limit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lore import Lore
from lore.capture.manifests import justfile_recipes, makefile_targets
from lore.capture.scan import describe_repository, fit, readme_headings
from lore.domain import Project
from tests.gitrepo import GitRepo

PACKAGE_JSON = {
    "name": "web",
    "scripts": {"dev": "next dev", "build": "next build", "test": "jest --ci"},
    "dependencies": {"next": "14.1.0", "react": "^18.2.0", "express": "^4.18.0"},
    "devDependencies": {"jest": "^29.0.0", "typescript": "^5.3.0"},
}
PYPROJECT = """\
[project]
name = "api"
requires-python = ">=3.11"
dependencies = ["fastapi>=0.110", "tiktoken==0.7.0", "SQLAlchemy[asyncio]>=2"]

[project.optional-dependencies]
dev = ["pytest>=8", "ruff"]

[project.scripts]
api = "api.main:run"

[tool.ruff]
line-length = 100

[tool.pytest.ini_options]
testpaths = ["tests"]
"""
MAKEFILE = """\
.PHONY: test lint
PYTHON := python3

test: deps
\t@$(PYTHON) -m pytest -q
lint:
\truff check .
\truff format --check .
%.o: %.c
\tcc -c $<
"""
WORKFLOW = """\
name: CI
on:
  push:
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -e .[dev]
      - name: Tests
        run: |
          pytest -q
"""
README = """\
# Shop

A small shop: a Next.js front end and a FastAPI back end.

## Quick start

```bash
# not a heading
make test
```

Deploying
---------
"""
ENV_SECRET = "scan-must-not-read-this-value"


def fixture_files() -> dict[str, str]:
    return {
        "package.json": json.dumps(PACKAGE_JSON),
        "pyproject.toml": PYPROJECT,
        "Makefile": MAKEFILE,
        ".github/workflows/ci.yml": WORKFLOW,
        "README.md": README,
        ".gitignore": "build/\n.env\nnode_modules/\n",
        "api/main.py": "def run():\n    pass\n",
        "api/routes/items.py": "ITEMS = []\n" * 10,
        "web/pages/index.tsx": "export default function Home() {\n  return null\n}\n",
        "tests/test_items.py": "def test_items():\n    assert True\n",
        "tests/conftest.py": "",
        "requirements-dev.txt": "# tools\npytest==8.0\n-r requirements.txt\nblack ; python_version > '3.8'\n",
    }


def untracked_junk(root: Path) -> None:
    (root / "build").mkdir()
    (root / "build" / "out.py").write_text("generated = 1\n" * 500)
    (root / "node_modules" / "left-pad").mkdir(parents=True)
    (root / "node_modules" / "left-pad" / "index.js").write_text("module.exports = 1\n")
    (root / ".env").write_text(f"SECRET={ENV_SECRET}\n")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "shop")
    repo.commit("initial", fixture_files())
    untracked_junk(repo.root)
    return repo


def manifest(payload: dict[str, Any], path: str) -> dict[str, Any]:
    return next(m for m in payload["manifests"] if m["path"] == path)


def test_scan_describes_languages_manifests_frameworks_scripts_and_ci(
    lore: Lore, project: Project, repo: GitRepo
) -> None:
    result = lore.scan(repo.root, project=project)
    stored = lore.store.events.get(result.event_id)
    assert stored.source == "scan" and stored.type == "scan_result"
    payload = stored.payload
    assert payload["root"] == str(repo.root) and payload["git"] is True

    assert payload["primary_language"] == "Python"
    assert payload["languages"]["Python"] == {"files": 4, "lines": 14}
    assert payload["languages"]["TypeScript"] == {"files": 1, "lines": 3}

    npm = manifest(payload, "package.json")
    assert ["react", "^18.2.0"] in npm["dependencies"]
    assert ["jest", "^29.0.0"] in npm["dev_dependencies"]
    python = manifest(payload, "pyproject.toml")
    assert python["dependencies"] == [
        ["fastapi", ">=0.110"],
        ["tiktoken", "==0.7.0"],
        ["sqlalchemy", ">=2"],
    ]
    assert python["optional_dependencies"] == {"dev": [["pytest", ">=8"], ["ruff", ""]]}
    assert python["tools"] == ["pytest", "ruff"]
    assert manifest(payload, "requirements-dev.txt")["dependencies"] == [
        ["pytest", "==8.0"],
        ["black", "; python_version > '3.8'"],
    ]
    names = {f["name"] for f in payload["frameworks"]}
    assert {"Next.js", "React", "Express", "FastAPI", "SQLAlchemy", "Jest", "pytest"} <= names

    assert payload["scripts"]["package.json"]["test"] == "jest --ci"
    assert payload["scripts"]["pyproject.toml"] == {"api": "api.main:run"}
    assert payload["scripts"]["Makefile"] == {
        "test": "$(PYTHON) -m pytest -q",
        "lint": "ruff check .; ruff format --check .",
    }
    (workflow,) = payload["ci"]
    assert workflow["path"] == ".github/workflows/ci.yml" and workflow["name"] == "CI"
    assert workflow["on"] == ["push", "pull_request"]
    assert workflow["jobs"]["test"] == {
        "runs_on": "ubuntu-latest",
        "steps": ["uses: actions/checkout@v4", "run: pip install -e .[dev]", "run: pytest -q"],
    }


def test_scan_reports_readme_structure_and_tests(
    lore: Lore, project: Project, repo: GitRepo
) -> None:
    payload = lore.scan(repo.root, project=project).payload
    assert payload["readme"] == {
        "path": "README.md",
        "headings": ["# Shop", "## Quick start", "# Deploying"],
        "summary": "A small shop: a Next.js front end and a FastAPI back end.",
    }
    assert payload["structure"]["dirs"] == {
        ".github": 1,
        ".github/workflows": 1,
        "api": 2,
        "api/routes": 1,
        "tests": 2,
        "web": 1,
        "web/pages": 1,
    }
    assert "package.json" in payload["structure"]["top_files"]
    tests = payload["tests"]
    assert tests["frameworks"] == ["Jest", "pytest"]
    assert tests["dirs"] == ["tests"] and tests["test_files"] == 1
    assert tests["config_files"] == ["tests/conftest.py"]
    assert tests["commands"] == {
        "package.json:test": "jest --ci",
        "Makefile:test": "$(PYTHON) -m pytest -q",
    }
    assert tests["pytest"] == {"testpaths": ["tests"]}


def test_ignored_files_and_env_values_stay_out(lore: Lore, project: Project, repo: GitRepo) -> None:
    payload = lore.scan(repo.root, project=project).payload
    text = json.dumps(payload)
    assert "build" not in payload["structure"]["dirs"]
    assert "node_modules" not in text and "left-pad" not in text and '.env"' not in text
    assert ENV_SECRET not in text
    # A dependency named like a secret keeps its version: pairs, not a name -> spec map.
    assert ["tiktoken", "==0.7.0"] in manifest(payload, "pyproject.toml")["dependencies"]


def test_a_folder_outside_git_is_walked_without_junk(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    for name, text in fixture_files().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    untracked_junk(root)
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "lib" / "site.py").write_text("x = 1\n")
    payload = describe_repository(root)
    assert payload["git"] is False
    assert set(payload["structure"]["dirs"]) == {
        ".github", ".github/workflows", "api", "api/routes", "tests", "web", "web/pages",
    }  # fmt: skip
    assert payload["languages"]["Python"]["files"] == 4


def test_scanning_an_unchanged_repository_twice_stores_one_event(
    lore: Lore, project: Project, repo: GitRepo
) -> None:
    first = lore.scan(repo.root, project=project)
    second = lore.scan(repo.root, project=project)
    assert second.duplicate and second.event_id == first.event_id
    (repo.root / "api" / "new.py").write_text("y = 2\n")
    third = lore.scan(repo.root, project=project)
    assert not third.duplicate and third.event_id != first.event_id


def test_a_huge_repository_description_is_shrunk_under_the_limit(
    lore: Lore, project: Project, tmp_path: Path
) -> None:
    repo = GitRepo(tmp_path / "monorepo")
    deps = {f"package-with-a-long-name-{i}": f"^{i}.0.0" for i in range(150)}
    files = {
        f"packages/p{i}/package.json": json.dumps({"name": f"p{i}", "dependencies": deps})
        for i in range(40)
    }
    repo.write(files)
    payload = describe_repository(repo.root, max_bytes=100_000)
    assert payload["truncated"] is True
    assert len(json.dumps(payload, separators=(",", ":")).encode()) <= 100_000
    assert lore.scan(repo.root, project=project).payload["truncated"] is True


def test_fit_halves_the_largest_collection_first() -> None:
    payload = {"root": "/r", "big": list(range(1000)), "small": [1, 2, 3]}
    fitted = fit(payload, 300)
    assert fitted["small"] == [1, 2, 3] and len(fitted["big"]) < 100 and fitted["truncated"]


def test_tox_environments_are_commands() -> None:
    from lore.capture.manifests import tox_environments

    tox = "[tox]\nenvlist = py3{12,11}\n\n[testenv]\ncommands = pytest -v {posargs}\n\n"
    tox += "[testenv:docs]\ndeps = sphinx\ncommands =\n    sphinx-build -W docs html\n"
    assert tox_environments(tox) == {
        "testenv": "pytest -v {posargs}",
        "docs": "sphinx-build -W docs html",
    }
    assert tox_environments("not [an ini") == {}


def test_task_file_parsers() -> None:
    assert makefile_targets("all build: x\n\tgo build\nX ?= 1\n.DEFAULT: all\n") == {
        "all": "go build",
        "build": "go build",
    }
    assert makefile_targets("all: fmt test # everything\nfmt:\n\tgofmt -l .\n")["all"] == (
        "make fmt test"
    )
    assert justfile_recipes('set shell := ["bash"]\n\ntest *args:\n  pytest {{args}}\n') == {
        "test": "pytest {{args}}"
    }
    assert readme_headings("Title\n=====\n\nSub\n---\n\n~~~\n# code\n~~~\n") == [
        "# Title",
        "## Sub",
    ]


def test_examples_fixtures_and_a_modules_setup_py_are_not_the_projects_own(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "lib")
    repo.commit(
        "start",
        {
            "pyproject.toml": PYPROJECT,
            "src/api/__init__.py": "",
            "src/api/setup.py": "def setup_routes(app): ...\n",  # a module, not a manifest
            "examples/shop/package.json": json.dumps(PACKAGE_JSON),
            "tests/fixtures/demo/pyproject.toml": '[project]\nname = "demo"\ndependencies = ["django"]\n',
        },
    )
    scan = describe_repository(repo.root)
    roles = {m["path"]: m["role"] for m in scan["manifests"]}
    assert roles == {
        "pyproject.toml": "project",
        "examples/shop/package.json": "example",
        "tests/fixtures/demo/pyproject.toml": "test",
    }
    assert {f["name"] for f in scan["frameworks"]} == {"FastAPI", "SQLAlchemy", "pytest"}
    assert "examples/shop/package.json" not in scan["scripts"]

    from lore.extraction.offline import Options, extract
    from tests.pipeline_helpers import event

    items = extract([event(1, "scan_result", scan, source="scan")], Options(package="api"))
    deps = [item for item in items if item.title.startswith("Dependencies declared in")]
    assert [item.title for item in deps] == ["Dependencies declared in pyproject.toml (python)"]
    assert not any("django" in fact or "next" in fact for item in items for fact in item.facts)


def test_workflow_triggers_keep_their_filters() -> None:
    from lore.capture.manifests import workflow_triggers

    release = {"push": {"tags": ["v*"]}, "workflow_dispatch": None}
    assert workflow_triggers(release) == ["push of tags v*", "workflow_dispatch"]
    assert workflow_triggers(
        {
            "push": {"branches": ["main"], "paths": ["src/**"]},
            "pull_request": {"branches-ignore": ["wip/*"]},
            "release": {"types": ["published"]},
            "schedule": [{"cron": "0 3 * * 1"}],
        }
    ) == [
        "push to main (paths src/**)",
        "pull_request except branches wip/*",
        "release published",
        "schedule 0 3 * * 1",
    ]
    assert workflow_triggers("push") == ["push"] and workflow_triggers(
        ["push", "pull_request"]
    ) == [
        "push",
        "pull_request",
    ]


LIBRARY_PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "lib"
requires-python = ">=3.9"
classifiers = [
    "Programming Language :: Python :: 3.10",
    "Programming Language :: Python :: 3.9",
    "Programming Language :: Python :: 3.13",
]

[tool.ruff]
line-length = 88

[tool.ruff.lint]
select = ["E", "F", "I"]

[tool.mypy]
strict = true
"""
TEST_MATRIX = """\
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: ["3.9", "3.13"]
        os: [ubuntu-latest, windows-latest]
    steps:
      - run: pytest
"""
PUBLISH = """\
name: Publish
on:
  push:
    tags: ["v*"]
jobs:
  pypi:
    runs-on: ubuntu-latest
    steps:
      - run: python -m build
      - uses: pypa/gh-action-pypi-publish@release/v1
"""
PRE_COMMIT = """\
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.6.0
    hooks:
      - id: ruff
      - id: ruff-format
  - repo: local
    hooks:
      - id: mypy
"""


def test_configuration_facts_build_versions_linters_hooks_and_release(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "lib")
    repo.commit(
        "start",
        {
            "pyproject.toml": LIBRARY_PYPROJECT,
            "setup.cfg": "[flake8]\nmax-line-length = 88\nextend-ignore = E203\n",
            ".pre-commit-config.yaml": PRE_COMMIT,
            ".prettierrc.json": '{"singleQuote": true, "printWidth": 100}',
            ".nvmrc": "20\n",
            "package.json": json.dumps({"name": "site", "engines": {"node": ">=18"}}),
            ".github/workflows/tests.yml": TEST_MATRIX,
            ".github/workflows/publish.yml": PUBLISH,
            "examples/app/ruff.toml": "line-length = 120\n",  # the example's, not the project's
            "src/lib/__init__.py": "",
        },
    )
    scan = describe_repository(repo.root)
    tooling = scan["tooling"]
    assert tooling["build"] == [
        {"tool": "Hatchling", "backend": "hatchling.build", "source": "pyproject.toml"}
    ]
    versions = {
        (v["language"], v["how"]): (v["versions"], v["source"]) for v in tooling["versions"]
    }
    assert versions == {
        ("Python", "requires-python"): (">=3.9", "pyproject.toml"),
        ("Python", "classifiers"): ("3.9, 3.10, 3.13", "pyproject.toml"),
        ("Python", "CI matrix"): ("3.9, 3.13", ".github/workflows/tests.yml"),
        ("Node.js", "engines"): (">=18", "package.json"),
        ("Node.js", "pinned for local work"): ("20", ".nvmrc"),
    }
    linters = {
        (entry["tool"], entry["source"]): entry.get("settings") for entry in tooling["linters"]
    }
    assert linters == {
        ("Ruff", "pyproject.toml"): "line-length 88; lint.select E, F, I",
        ("mypy", "pyproject.toml"): "strict True",
        ("Flake8", "setup.cfg"): "max-line-length 88; extend-ignore E203",
        ("Prettier", ".prettierrc.json"): "singleQuote True; printWidth 100",
    }
    assert tooling["pre_commit"] == {
        "source": ".pre-commit-config.yaml",
        "hooks": ["ruff", "ruff-format", "mypy"],
    }

    from lore.extraction.offline import Options, extract
    from tests.pipeline_helpers import event

    items = {
        item.title: item
        for item in extract([event(1, "scan_result", scan, source="scan")], Options())
    }
    assert "Build backend: Hatchling" in items
    python = items["Supported Python versions: 3.9, 3.10, 3.13"]
    assert "Ci matrix in .github/workflows/tests.yml: 3.9, 3.13." in python.facts
    assert "Supported Node.js versions: >=18" in items
    assert "Linters and formatters: Ruff, mypy, Flake8, Prettier" in items
    assert items["pre-commit hooks: ruff, ruff-format, mypy"].instruction.startswith(
        "pre-commit install"
    )
    release = items["Releases: .github/workflows/publish.yml publishes to PyPI on push of tags v*"]
    assert (
        release.facts[0] == ".github/workflows/publish.yml publishes to PyPI, on push of tags v*."
    )
    assert not any("120" in fact for item in items.values() for fact in item.facts)


def test_the_layout_finds_the_code_by_its_files_not_the_biggest_folder(tmp_path: Path) -> None:
    """pyenv's shape: the commands are scripts without an extension in libexec/, while a plugin
    folder holds hundreds of data files."""
    script = "#!/usr/bin/env bash\nset -e\n"
    commands = ("init", "install", "local", "global", "shims", "rehash", "root", "version")
    files = {f"libexec/pyenv-{name}": script for name in commands}
    files |= {
        f"plugins/python-build/share/python-build/3.{minor}.0": "install_package\n"
        for minor in range(40)
    }
    files |= {
        "plugins/python-build/bin/python-build": script,
        "test/init.bats": "#!/usr/bin/env bats\n",
        "test/test_helper.bash": "setup() { :; }\n",
        "examples/demo/main.py": "print('demo')\n",
        "docs/index.md": "# pyenv\n",
        "README.md": "# pyenv\n",
    }
    GitRepo(tmp_path / "pyenv").commit("start", files)
    layout = describe_repository(tmp_path / "pyenv")["layout"]
    assert layout["code"] == ["libexec"]
    assert layout["tests"] == ["test"]
    assert layout["docs"] == ["docs"] and layout["examples"] == ["examples"]


def test_a_setuptools_project_without_build_system_builds_with_setuptools(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "legacy")
    repo.commit(
        "start",
        {
            "setup.py": "from setuptools import setup\nsetup()\n",
            "setup.cfg": "[metadata]\nname = legacy\n\n[options]\npython_requires = >= 3.7\n",
            "pyproject.toml": "[tool.black]\nline-length = 88\n",
            "legacy/__init__.py": "",
        },
    )
    tooling = describe_repository(repo.root)["tooling"]
    assert tooling["build"] == [{"tool": "setuptools", "source": "setup.py"}]
    assert tooling["versions"] == [
        {
            "language": "Python",
            "versions": ">= 3.7",
            "how": "requires-python",
            "source": "setup.cfg",
        }
    ]
    assert tooling["linters"] == [
        {"tool": "Black", "source": "pyproject.toml", "settings": "line-length 88"}
    ]


def test_ci_versions_come_from_setup_steps_and_a_bot_workflow_is_no_ci_item(
    tmp_path: Path,
) -> None:
    matrix = "on: [push]\njobs:\n  test:\n    strategy:\n      matrix:\n        go: [15, 16]\n"
    matrix += "    steps:\n      - uses: actions/setup-go@v5\n        with:\n"
    matrix += "          go-version: '1.${{ matrix.go }}.x'\n      - run: go test ./...\n"
    matrix += "  lint:\n    strategy:\n      matrix:\n        go: [15]\n    steps:\n"
    matrix += "      - run: golangci-lint run\n"
    labeler = "on: [pull_request_target]\njobs:\n  triage:\n    steps:\n      - uses: actions/labeler@v4\n"
    repo = GitRepo(tmp_path / "tool")
    repo.commit(
        "start",
        {
            "go.mod": "module example.com/tool\n\ngo 1.21\n",
            ".github/workflows/test.yml": matrix,
            ".github/workflows/labeler.yml": labeler,
            "main.go": "package main\n\nfunc main() {}\n",
        },
    )
    scan = describe_repository(repo.root)
    versions = {v["how"]: v["versions"] for v in scan["tooling"]["versions"]}
    # the setup step says what the minor numbers mean; a bare matrix of them says nothing
    assert versions == {"CI matrix": "1.15.x, 1.16.x", "go directive": "1.21"}

    from lore.extraction.offline import Options, extract
    from tests.pipeline_helpers import event

    items = {i.title: i for i in extract([event(1, "scan_result", scan, source="scan")], Options())}
    assert items["Build backend: go build"].facts == ["tool builds with go build (go.mod)."]
    ci = [title for title in items if title.startswith("CI:")]
    assert ci == ["CI: .github/workflows/test.yml"]
