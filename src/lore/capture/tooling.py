"""What a repository's configuration says about how it is worked on: its build backend, the
language versions it supports (and where each figure comes from), its linters and formatters
with their main settings, and its pre-commit hooks. Part of ``lore scan``.

Only the project's own files are read: the manifests the scan counts as the project's, and
the configuration files at the top (a linter configured for an example app is not the
project's).
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from lore.capture.manifests import read_text

MAX_SETTINGS = 8
MAX_HOOKS = 30
# Classifiers name the Python versions a package supports.
_PY_CLASSIFIER = re.compile(r"Programming Language :: Python :: (\d+\.\d+)\b")
# setuptools' python_requires, in setup.py or setup.cfg.
_PYTHON_REQUIRES = re.compile(r"""python_requires\s*=\s*['"]?([^'"\n,)]+)""")
# CI matrix keys that list language versions.
MATRIX_LANGUAGES = {
    "python": "Python", "python-version": "Python", "node": "Node.js", "node-version": "Node.js",
    "go": "Go", "go-version": "Go", "rust": "Rust", "toolchain": "Rust", "ruby": "Ruby",
    "ruby-version": "Ruby", "java": "Java", "java-version": "Java",
}  # fmt: skip
# Where a language's versions are read, most telling first.
VERSION_SOURCES = (
    "classifiers", "CI matrix", "requires-python", "engines", "go directive", "rust-version",
    "pinned for local work",
)  # fmt: skip
# actions/setup-<key> steps, by the language they install.
SETUP_LANGUAGES = {
    "python": "Python", "node": "Node.js", "go": "Go", "java": "Java", "ruby": "Ruby",
    "dotnet": ".NET",
}  # fmt: skip
# Files that pin one version for local work.
VERSION_FILES = {
    ".python-version": "Python", ".nvmrc": "Node.js", ".node-version": "Node.js",
    "rust-toolchain": "Rust", ".ruby-version": "Ruby", ".go-version": "Go",
}  # fmt: skip
# pyproject [tool.X] sections of linters, formatters and type checkers.
PYPROJECT_LINTERS = {
    "ruff": "Ruff", "black": "Black", "isort": "isort", "mypy": "mypy", "pylint": "Pylint",
    "flake8": "Flake8", "pyright": "Pyright", "codespell": "codespell", "pydocstyle": "pydocstyle",
    "bandit": "Bandit", "yapf": "YAPF", "autopep8": "autopep8", "basedpyright": "basedpyright",
}  # fmt: skip
# Linter config files at the top of a repository: name (or prefix) -> tool.
LINTER_FILES = {
    "ruff.toml": "Ruff", ".ruff.toml": "Ruff", ".pylintrc": "Pylint", "pylintrc": "Pylint", ".isort.cfg": "isort",
    "pyrightconfig.json": "Pyright", ".eslintrc": "ESLint", "eslint.config": "ESLint",
    ".prettierrc": "Prettier", "prettier.config": "Prettier", "biome.json": "Biome",
    "biome.jsonc": "Biome", ".stylelintrc": "stylelint", "tslint.json": "TSLint",
    ".golangci": "golangci-lint", "rustfmt.toml": "rustfmt", ".rustfmt.toml": "rustfmt",
    "clippy.toml": "Clippy", ".rubocop.yml": "RuboCop", ".editorconfig": "EditorConfig",
    ".markdownlint": "markdownlint", ".clang-format": "clang-format", "deno.json": "deno lint",
}  # fmt: skip
# INI files and their sections that configure linters.
INI_FILES = ("setup.cfg", "tox.ini", ".flake8", "mypy.ini", ".mypy.ini")
INI_LINTERS = {"flake8": "Flake8", "mypy": "mypy", "isort": "isort", "pycodestyle": "pycodestyle"}


def describe_tooling(
    root: Path,
    files: Sequence[str],
    manifests: Sequence[dict[str, Any]],
    ci: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """``build``, ``versions``, ``linters`` and ``pre_commit`` (each entry names its source).
    A language's versions come most telling source first: classifiers list every version."""
    top = [path for path in files if "/" not in path]
    versions = [*_manifest_versions(root, manifests), *_file_versions(root, top), *_ci_versions(ci)]
    tooling = {
        "build": list(_build(manifests)),
        "versions": sorted(versions, key=lambda entry: VERSION_SOURCES.index(entry["how"])),
        "linters": [
            *_pyproject_linters(root, top),
            *_ini_linters(root, top),
            *_file_linters(root, top),
        ],
        "pre_commit": _pre_commit(root, top),
    }
    return {key: value for key, value in tooling.items() if value}


# Build


BUILD_BACKENDS = {
    "hatchling": "Hatchling", "setuptools": "setuptools", "poetry": "Poetry", "flit": "Flit",
    "pdm": "PDM", "maturin": "maturin", "scikit_build_core": "scikit-build-core",
    "mesonpy": "meson-python", "uv_build": "uv",
}  # fmt: skip


def _build(manifests: Sequence[dict[str, Any]]) -> Iterable[dict[str, str]]:
    python = sorted(
        (m for m in manifests if m.get("kind") == "python" and "/" not in str(m["path"])),
        key=lambda m: SETUPTOOLS_FILES.index(m["path"]) if m["path"] in SETUPTOOLS_FILES else 9,
    )
    declared = [m for m in python if m.get("build_backend")]
    for manifest in declared:
        backend = str(manifest["build_backend"])
        module = backend.split(".")[0].split(":")[0]
        tool = next(
            (label for key, label in BUILD_BACKENDS.items() if module.startswith(key)), module
        )
        yield {"tool": tool, "backend": backend, "source": str(manifest["path"])}
    if python and not declared:  # setup.py, setup.cfg, or a pyproject without [build-system]
        yield {"tool": "setuptools", "source": str(python[0]["path"])}
    for manifest in manifests:
        if manifest.get("kind") == "cargo":
            yield {"tool": "Cargo", "source": str(manifest["path"])}
        elif manifest.get("kind") == "go":
            yield {"tool": "go build", "source": str(manifest["path"])}


# Versions


SETUPTOOLS_FILES = ("setup.py", "setup.cfg", "pyproject.toml")


def _manifest_versions(root: Path, manifests: Iterable[dict[str, Any]]) -> Iterable[dict[str, str]]:
    for manifest in manifests:
        path = str(manifest["path"])
        if manifest.get("requires_python"):
            yield _version("Python", str(manifest["requires_python"]), "requires-python", path)
        if PurePosixPath(path).name in SETUPTOOLS_FILES:
            text = read_text(root / path)
            classified = _classifier_versions(text)
            if classified:
                yield _version("Python", ", ".join(classified), "classifiers", path)
            required = _PYTHON_REQUIRES.search(text)
            if required and not manifest.get("requires_python"):
                yield _version("Python", required[1].strip(), "requires-python", path)
        if manifest.get("node"):
            yield _version("Node.js", str(manifest["node"]), "engines", path)
        if manifest.get("go"):
            yield _version("Go", str(manifest["go"]), "go directive", path)
        if manifest.get("rust_version"):
            yield _version("Rust", str(manifest["rust_version"]), "rust-version", path)


def _classifier_versions(text: str) -> list[str]:
    found = {match for match in _PY_CLASSIFIER.findall(text)}
    return sorted(found, key=lambda v: tuple(int(part) for part in v.split(".")))


def _file_versions(root: Path, top: Sequence[str]) -> Iterable[dict[str, str]]:
    for path in top:
        language = VERSION_FILES.get(path.removesuffix(".toml"))
        if language is None:
            continue
        text = read_text(root / path)
        if path == "rust-toolchain.toml":
            match = re.search(r'channel\s*=\s*"([^"]+)"', text)
            pinned = match[1] if match else ""
        else:
            pinned = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if pinned:
            yield _version(language, pinned[:40], "pinned for local work", path)


def _ci_versions(ci: Iterable[dict[str, Any]]) -> Iterable[dict[str, str]]:
    """The versions a workflow's jobs install (their setup steps, matrix values put in) or,
    where no setup step says, their matrix lists."""
    for workflow in ci:
        seen: dict[str, list[str]] = {}
        for job in (workflow.get("jobs") or {}).values():
            setup = {
                SETUP_LANGUAGES[key]: values for key, values in (job.get("setup") or {}).items()
            }
            matrix = {
                MATRIX_LANGUAGES[str(key).lower()]: values
                for key, values in (job.get("matrix") or {}).items()
                if str(key).lower() in MATRIX_LANGUAGES
            }
            for language, values in (matrix | setup).items():
                listed = seen.setdefault(language, [])
                listed += [str(v) for v in values if _version_like(language, str(v), listed)]
        for language, versions in seen.items():
            if versions:
                yield _version(language, ", ".join(versions), "CI matrix", str(workflow["path"]))


def _version_like(language: str, value: str, listed: list[str]) -> bool:
    """A matrix value that names a version by itself: Go's ``15`` stands for 1.15 only in
    the job's own expression (``1.${{ matrix.go }}.x``), so it is left out."""
    if value in listed or "${{" in value:
        return False
    return not (language == "Go" and not value.lstrip("^~>=v").startswith("1."))


def _version(language: str, versions: str, how: str, source: str) -> dict[str, str]:
    return {"language": language, "versions": versions, "how": how, "source": source}


# Linters and formatters


def _pyproject_linters(root: Path, top: Sequence[str]) -> Iterable[dict[str, str]]:
    if "pyproject.toml" not in top:
        return
    try:
        tools = tomllib.loads(read_text(root / "pyproject.toml")).get("tool", {})
    except tomllib.TOMLDecodeError:
        return
    for key, tool in PYPROJECT_LINTERS.items():
        if isinstance(tools.get(key), dict):
            yield _linter(tool, "pyproject.toml", settings_line(tools[key]))


def _ini_linters(root: Path, top: Sequence[str]) -> Iterable[dict[str, str]]:
    for path in INI_FILES:
        if path not in top:
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(read_text(root / path))
        except configparser.Error:
            continue
        for section in parser.sections():
            tool = INI_LINTERS.get(section.removeprefix("tool:"))
            if tool:
                yield _linter(tool, path, settings_line(dict(parser[section])))


def _file_linters(root: Path, top: Sequence[str]) -> Iterable[dict[str, str]]:
    for path in top:
        tool = next(
            (
                tool
                for name, tool in LINTER_FILES.items()
                if path == name or path.startswith(name + ".")
            ),
            None,
        )
        if tool is not None:
            yield _linter(tool, path, settings_line(_config(root / path)))


def _config(path: Path) -> dict[str, Any]:
    """A config file's top-level settings, when its format can be read (TOML, JSON, YAML)."""
    text = read_text(path)
    try:
        if path.suffix == ".toml":
            return tomllib.loads(text)
        if path.suffix in (".json", "") and text.lstrip().startswith("{"):
            data = json.loads(text)
        elif path.suffix in (".yml", ".yaml"):
            data = yaml.safe_load(text)
        else:
            return {}
    except (ValueError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def settings_line(settings: dict[str, Any]) -> str:
    """The first settings as ``key value`` pairs: scalars and short lists, nested tables
    (ruff's ``lint``) one level down."""
    shown: list[str] = []
    for key, value in _flat(settings):
        if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            value = ", ".join(str(v) for v in value[:12]) + (" ..." if len(value) > 12 else "")
        if isinstance(value, str | int | float | bool) and str(value).strip():
            shown.append(f"{key} {' '.join(str(value).split())[:120]}")
        if len(shown) >= MAX_SETTINGS:
            break
    return "; ".join(shown)


def _flat(settings: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    for key, value in settings.items():
        if isinstance(value, dict):
            yield from (
                (f"{key}.{inner}", item)
                for inner, item in value.items()
                if not isinstance(item, dict)
            )
        else:
            yield str(key), value


def _linter(tool: str, source: str, settings: str) -> dict[str, str]:
    return {"tool": tool, "source": source} | ({"settings": settings} if settings else {})


# pre-commit


def _pre_commit(root: Path, top: Sequence[str]) -> dict[str, Any] | None:
    path = ".pre-commit-config.yaml"
    if path not in top:
        return None
    try:
        data = yaml.safe_load(read_text(root / path)) or {}
    except yaml.YAMLError:
        return None
    hooks = [
        str(hook["id"])
        for repo in (data.get("repos") or [] if isinstance(data, dict) else [])
        if isinstance(repo, dict)
        for hook in repo.get("hooks") or []
        if isinstance(hook, dict) and hook.get("id")
    ]
    return {"source": path, "hooks": hooks[:MAX_HOOKS]} if hooks else None
