"""Repository scan: one ``scan_result`` event describing a repository.

The files are the ones git would track (``git ls-files --cached --others --exclude-standard``,
so ``.gitignore`` is respected), or, outside git, a walk that skips the usual junk folders. The
description holds: languages (files and lines), manifests with their dependencies, the
frameworks those reveal, scripts and commands (package.json, Makefile, justfile, pyproject),
CI jobs and their steps, README headings, the directory structure and the test setup.

It stays fast (files are read only to count lines and to parse the few known manifests) and
bounded: every list is capped, and the payload is shrunk to fit the event size limit. No
timestamp is included, so scanning an unchanged repository twice stores one event.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from lore.capture import manifests as mf
from lore.capture.docs import describe_docs, first_paragraph, sections
from lore.capture.git import resolve_repo_path
from lore.capture.tooling import describe_tooling
from lore.code.modules import TEST_FILE, module_map
from lore.code.repos import is_url, working_copy
from lore.domain import EventIn, Project
from lore.errors import LoreError, ValidationError
from lore.git import run_git

if TYPE_CHECKING:
    from lore.core import Lore

SOURCE = "scan"
EVENT_TYPE = "scan_result"
CODE_MAP_TYPE = "code_map"
DOCS_TYPE = "doc_sections"
MAX_FILES = 100_000
MAX_MANIFESTS = 40
# Folders whose manifests and commands belong to something else than the project itself.
NOT_OWN_FOLDERS = {
    **dict.fromkeys(("examples", "example", "samples", "sample", "demo", "demos"), "example"),
    **dict.fromkeys(("fixtures", "fixture", "testdata", "test-data", "test_data"), "fixture"),
    **dict.fromkeys(("tests", "test", "__tests__", "spec"), "test"),
    **dict.fromkeys(("docs", "doc", "documentation"), "docs"),
    **dict.fromkeys(
        ("vendor", "vendored", "third_party", "third-party", "node_modules"), "vendored"
    ),
}
MAX_LINE_COUNT_FILE_BYTES = 2_000_000
LINE_COUNT_BUDGET_BYTES = 200_000_000
MAX_DIRS_PER_DEPTH = 80
STRUCTURE_DEPTH = 3
MAX_TOP_FILES = 60
MAX_HEADINGS = 60
MAX_PACKAGES = 8
SIZE_MARGIN = 0.85  # of the payload limit: redaction and JSON re-encoding may add a little

# Folders no scan wants when there is no .gitignore to say so.
JUNK_DIRS = {
    ".git", "node_modules", ".venv", "venv", "env", "__pycache__", "dist", "build", "target",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".next", ".nuxt", ".cache",
    ".idea", ".vscode", "coverage", "htmlcov", ".gradle", "vendor", ".terraform", "site-packages",
    ".eggs", "bower_components", ".svelte-kit", ".parcel-cache", ".turbo",
}  # fmt: skip

# Extension (or file name) -> (language, kind). Kinds other than code are counted apart.
LANGUAGES: dict[str, tuple[str, str]] = {
    ".py": ("Python", "code"), ".pyi": ("Python", "code"), ".ipynb": ("Jupyter", "code"),
    ".js": ("JavaScript", "code"), ".mjs": ("JavaScript", "code"), ".cjs": ("JavaScript", "code"),
    ".jsx": ("JavaScript", "code"), ".ts": ("TypeScript", "code"), ".tsx": ("TypeScript", "code"),
    ".mts": ("TypeScript", "code"), ".vue": ("Vue", "code"), ".svelte": ("Svelte", "code"),
    ".go": ("Go", "code"), ".rs": ("Rust", "code"), ".java": ("Java", "code"),
    ".kt": ("Kotlin", "code"), ".kts": ("Kotlin", "code"), ".scala": ("Scala", "code"),
    ".rb": ("Ruby", "code"), ".php": ("PHP", "code"), ".cs": ("C#", "code"), ".fs": ("F#", "code"),
    ".c": ("C", "code"), ".h": ("C", "code"), ".cc": ("C++", "code"), ".cpp": ("C++", "code"),
    ".cxx": ("C++", "code"), ".hpp": ("C++", "code"), ".swift": ("Swift", "code"),
    ".m": ("Objective-C", "code"), ".dart": ("Dart", "code"), ".ex": ("Elixir", "code"),
    ".exs": ("Elixir", "code"), ".erl": ("Erlang", "code"), ".hs": ("Haskell", "code"),
    ".lua": ("Lua", "code"), ".r": ("R", "code"), ".jl": ("Julia", "code"), ".zig": ("Zig", "code"),
    ".sh": ("Shell", "code"), ".bash": ("Shell", "code"), ".zsh": ("Shell", "code"),
    ".ps1": ("PowerShell", "code"), ".sql": ("SQL", "code"), ".html": ("HTML", "markup"),
    ".htm": ("HTML", "markup"), ".jinja": ("Jinja", "markup"), ".j2": ("Jinja", "markup"),
    ".css": ("CSS", "markup"), ".scss": ("SCSS", "markup"), ".less": ("Less", "markup"),
    ".tf": ("HCL", "config"), ".proto": ("Protocol Buffers", "code"),
    ".graphql": ("GraphQL", "code"), ".md": ("Markdown", "prose"), ".rst": ("reStructuredText", "prose"),
    ".txt": ("Text", "prose"), ".json": ("JSON", "data"), ".yml": ("YAML", "config"),
    ".yaml": ("YAML", "config"), ".toml": ("TOML", "config"), ".ini": ("INI", "config"),
    ".cfg": ("INI", "config"), ".xml": ("XML", "data"), ".csv": ("CSV", "data"),
    "Dockerfile": ("Dockerfile", "config"), "Makefile": ("Makefile", "config"),
}  # fmt: skip

TEST_DIR_NAMES = {"tests", "test", "__tests__", "spec", "specs", "e2e", "testing"}
TEST_CONFIGS = {
    "conftest.py", "pytest.ini", "tox.ini", "noxfile.py", ".rspec", "phpunit.xml",
    "phpunit.xml.dist", ".mocharc.json", ".mocharc.yml", "karma.conf.js",
}  # fmt: skip
TEST_CONFIG_PREFIXES = ("jest.config.", "vitest.config.", "playwright.config.", "cypress.config.")


@dataclass(frozen=True)
class ScanResult:
    root: str
    event_id: int
    session_id: int
    duplicate: bool
    payload: dict[str, Any]
    code_map: list[dict[str, Any]]
    docs: list[dict[str, Any]]

    @property
    def modules(self) -> int:
        return sum(len(folder["modules"]) for folder in self.code_map)

    def as_dict(self, *, full: bool = False) -> dict[str, Any]:
        """Where it went and how many modules were mapped; with ``full``, the description and
        the module map too."""
        shown = {"root": self.root, "event_id": self.event_id, "session_id": self.session_id}
        shown |= {"duplicate": self.duplicate, "modules": self.modules, "documents": len(self.docs)}
        full_view = {"payload": self.payload, "code_map": self.code_map, "docs": self.docs}
        return shown | (full_view if full else {})


def scan(lore: Lore, project: Project, path: str | Path | None = None) -> ScanResult:
    """Describe the repository at ``path`` (default: the project's) and capture it: one
    ``scan_result`` event, then one ``code_map`` event per folder of the project's own code and
    one ``doc_sections`` event per document."""
    root = _folder_to_scan(lore, project, path)
    if not root.is_dir():
        raise ValidationError(f"{root} is not a folder", "path")
    budget = int(lore.settings.capture.max_payload_bytes * SIZE_MARGIN)
    files, in_git = list_files(root)
    own = own_files(files)
    code_map = module_map(root, own)
    payload = describe_files(root, files, in_git, code_map, max_bytes=budget)
    result = lore.capture_event(SOURCE, EVENT_TYPE, payload, project=project)
    docs = describe_docs(root, own)
    parts = [(CODE_MAP_TYPE, folder) for folder in code_map] + [(DOCS_TYPE, doc) for doc in docs]
    if parts:
        lore.capture_events(
            [
                EventIn(source=SOURCE, type=type_, payload=fit(part, budget))
                for type_, part in parts
            ],
            project=project,
        )
    return ScanResult(
        str(root),
        result.event_ids[0],
        result.session_ids[0],
        result.duplicates > 0,
        payload,
        code_map,
        docs,
    )


def _folder_to_scan(lore: Lore, project: Project, path: str | Path | None) -> Path:
    """The given folder; else the project's linked repository: a local folder, or a git URL's
    working copy under ``$LORE_HOME/repos`` (cloned or brought up to date); else here."""
    if path is None and project.repo and is_url(project.repo):
        return working_copy(project.repo, lore.settings.home).resolve()
    return resolve_repo_path(project, path).resolve()


def describe_repository(root: Path, *, max_bytes: int = 200_000) -> dict[str, Any]:
    files, in_git = list_files(root)
    code_map = module_map(root, own_files(files))
    return describe_files(root, files, in_git, code_map, max_bytes=max_bytes)


def own_files(files: Sequence[str]) -> list[str]:
    """The files the module map and the documents are read from: not those of tests,
    examples, fixtures or vendored code. Docs folders are (a ``doc`` folder may also be a
    package: Go's cobra has one)."""
    return [path for path in files if manifest_role(path) in ("project", "docs")]


def describe_files(
    root: Path,
    files: Sequence[str],
    in_git: bool,
    code_map: Sequence[dict[str, Any]],
    *,
    max_bytes: int,
) -> dict[str, Any]:
    manifests = _manifests(root, files)
    scripts = _scripts(root, files, own(manifests))
    ci = _ci(root, files)
    tests = _tests(files, own(manifests), scripts)
    payload: dict[str, Any] = {
        "root": str(root),
        "name": root.name,
        "git": in_git,
        "files": len(files),
        **_languages(root, files),
        "manifests": manifests,
        "frameworks": mf.frameworks(own(manifests)),
        "scripts": scripts,
        "ci": ci,
        "tooling": describe_tooling(root, files, own(manifests), ci),
        "readme": _readme(root, files),
        "structure": _structure(files),
        "tests": tests,
        "layout": _layout(root, files, tests, code_map),
    }
    return fit(payload, max_bytes)


# Files


def list_files(root: Path) -> tuple[list[str], bool]:
    """Paths relative to ``root`` (``/``-separated) and whether git chose them."""
    try:
        out = run_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except LoreError:  # not a repository, or no git: walk instead
        return _walk(root), False
    listed = sorted({path for path in out.split("\0") if path})
    return [path for path in listed[:MAX_FILES] if (root / path).is_file()], True


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(
            d for d in dirs if d not in JUNK_DIRS and not (d.startswith(".") and d != ".github")
        )
        relative = os.path.relpath(folder, root)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        found += (prefix + name for name in sorted(names) if not name.endswith((".pyc", ".pyo")))
        if len(found) >= MAX_FILES:
            return found[:MAX_FILES]
    return found


def _language(path: str) -> tuple[str, str] | None:
    pure = PurePosixPath(path)
    return LANGUAGES.get(pure.name) or LANGUAGES.get(pure.suffix.lower())


def _languages(root: Path, files: Sequence[str]) -> dict[str, Any]:
    """Code languages, and other known formats, by files and lines, largest first."""
    counts: dict[tuple[str, str], list[int]] = {}
    budget = LINE_COUNT_BUDGET_BYTES
    partial = False
    for path in files:
        language = _language(path)
        if language is None:
            continue
        entry = counts.setdefault(language, [0, 0])
        entry[0] += 1
        lines, size = _count_lines(root / path, budget)
        entry[1] += lines
        budget -= max(size, 0)
        partial = partial or size < 0
    ordered = sorted(counts.items(), key=lambda item: (-item[1][1], -item[1][0]))
    code = {name: {"files": f, "lines": n} for (name, kind), (f, n) in ordered if kind != "prose"}
    other = {name: {"files": f, "lines": n} for (name, kind), (f, n) in ordered if kind == "prose"}
    primary = [name for (name, kind), _ in ordered if kind == "code"][:1]
    result: dict[str, Any] = {
        "primary_language": primary[0] if primary else None,
        "languages": code,
        "documents": other,
    }
    if partial:
        result["lines_partial"] = True
    return result


def _count_lines(path: Path, budget: int) -> tuple[int, int]:
    """(lines, bytes read); bytes is -1 when the file was too big or the budget ran out."""
    try:
        size = path.stat().st_size
        if size > MAX_LINE_COUNT_FILE_BYTES or size > budget:
            return 0, -1
        data = path.read_bytes()
    except OSError:
        return 0, 0
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0), len(data)


# Manifests, scripts, CI


def _manifests(root: Path, files: Sequence[str]) -> list[dict[str, Any]]:
    """The manifests, the project's own first, each with its ``role``: ``project``, or the kind
    of folder it sits in (``example``, ``fixture``, ``test``, ``docs``, ``vendored``), whose
    dependencies and commands are not the project's. A ``setup.py`` inside a Python package is
    a module of it, not a manifest."""
    packages = {str(PurePosixPath(p).parent) for p in files if p.endswith("/__init__.py")}
    paths = [
        p
        for p in files
        if mf.is_manifest(p)
        and not (PurePosixPath(p).name == "setup.py" and str(PurePosixPath(p).parent) in packages)
    ]
    paths.sort(key=lambda p: (manifest_role(p) != "project", p.count("/"), p))
    found = (mf.read_manifest(root, path) for path in paths[:MAX_MANIFESTS])
    return [manifest | {"role": manifest_role(manifest["path"])} for manifest in found if manifest]


def manifest_role(path: str) -> str:
    """``project``, or the role of the first folder of ``path`` that is not the project's."""
    roles = (folder_role(folder) for folder in PurePosixPath(path).parts[:-1])
    return next((role for role in roles if role != "project"), "project")


def folder_role(folder: str) -> str:
    """What a folder of that name holds: ``project``, or ``example``, ``fixture``, ``test``,
    ``docs`` or ``vendored`` (``NOT_OWN_FOLDERS``)."""
    return NOT_OWN_FOLDERS.get(folder.lower(), "project")


def own(manifests: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The project's own manifests (a scan stored before roles were kept counts as its own)."""
    return [m for m in manifests if m.get("role", "project") == "project"]


def _scripts(
    root: Path, files: Sequence[str], manifests: Sequence[dict[str, Any]]
) -> dict[str, dict[str, str]]:
    """Commands by the file that defines them: the manifests', and those of the task files at
    the top or one folder down, but in a folder that is not the project's (``docs/Makefile``
    builds the docs' own Sphinx targets)."""
    scripts = {m["path"]: m["scripts"] for m in manifests if m.get("scripts")}
    for path in files:
        name = PurePosixPath(path).name
        if path.count("/") > 1 or manifest_role(path) != "project":
            continue
        if name in ("Makefile", "makefile", "GNUmakefile"):
            scripts[path] = mf.makefile_targets(mf.read_text(root / path))
        elif name in ("justfile", "Justfile", ".justfile"):
            scripts[path] = mf.justfile_recipes(mf.read_text(root / path))
        elif name == "tox.ini":
            scripts[path] = mf.tox_environments(mf.read_text(root / path))
    return {path: commands for path, commands in scripts.items() if commands}


def _ci(root: Path, files: Sequence[str]) -> list[dict[str, Any]]:
    found = []
    for path in files:
        if re.fullmatch(r"\.github/workflows/[^/]+\.ya?ml", path):
            parse = mf.github_workflow
        elif path == ".gitlab-ci.yml":
            parse = mf.gitlab_ci
        elif path in (".circleci/config.yml", "azure-pipelines.yml", "Jenkinsfile", ".travis.yml"):
            found.append({"path": path})
            continue
        else:
            continue
        try:
            found.append({"path": path, **parse(mf.read_text(root / path))})
        except Exception as exc:  # a broken CI file is reported, never fatal
            found.append({"path": path, "error": f"could not be read: {exc}"[:200]})
    return found


# README, structure, tests


def _readme(root: Path, files: Sequence[str]) -> dict[str, Any] | None:
    candidates = [p for p in files if "/" not in p and p.lower().startswith("readme")]
    if not candidates:
        return None
    path = min(candidates, key=lambda p: (not p.lower().endswith(".md"), len(p)))
    text = mf.read_text(root / path)
    headings = readme_headings(text)
    return {"path": path, "headings": headings[:MAX_HEADINGS], "summary": _summary(text)}


def readme_headings(text: str) -> list[str]:
    """Headings as ``#``-prefixed lines: Markdown ATX and setext, and reStructuredText
    underlined titles; fenced code blocks are skipped."""
    return [f"{'#' * s.level} {s.heading}" for s in sections(text) if s.heading]


def _summary(text: str) -> str:
    """The first paragraph of prose of a README (no heading, badge, HTML, list or code)."""
    return next(
        (found for s in sections(text) if (found := first_paragraph(s.body, lists=False))), ""
    )


def _structure(files: Sequence[str]) -> dict[str, Any]:
    """Files per folder down to a few levels (the largest folders of each level), plus the
    files at the top."""
    per_dir: Counter[str] = Counter()
    for path in files:
        parts = path.split("/")[:-1]
        for depth in range(1, min(len(parts), STRUCTURE_DEPTH) + 1):
            per_dir["/".join(parts[:depth])] += 1
    kept: dict[str, int] = {}
    for depth in range(1, STRUCTURE_DEPTH + 1):
        level = [(d, n) for d, n in per_dir.items() if d.count("/") == depth - 1]
        level.sort(key=lambda item: -item[1])
        kept.update(level[:MAX_DIRS_PER_DEPTH])
    top_files = [p for p in files if "/" not in p]
    return {
        "dirs": dict(sorted(kept.items())),
        "top_files": top_files[:MAX_TOP_FILES],
    }


def _layout(
    root: Path, files: Sequence[str], tests: dict[str, Any], code_map: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Where things live, by role: ``code`` (the folders holding most of the project's own code
    files, down into a ``src``-like folder that holds one package), ``tests``, ``docs``,
    ``examples`` (examples, fixtures, vendored code), and the ``packages`` with most modules,
    each with what its package doc says it is for."""
    top = {path.split("/")[0] for path in files if "/" in path}
    top_roles = {folder: folder_role(folder) for folder in top}
    return {
        "code": _code_folders(root, files),
        "tests": [d for d in tests.get("dirs") or [] if "/" not in d][:3],
        "docs": sorted(d for d, role in top_roles.items() if role == "docs"),
        "examples": sorted(
            d for d, role in top_roles.items() if role in ("example", "fixture", "vendored")
        ),
        "packages": [
            {"folder": f["folder"], "modules": len(f["modules"]), "doc": f["doc"]}
            for f in sorted(code_map, key=lambda f: -len(f["modules"]))[:MAX_PACKAGES]
        ],
    }


def _code_folders(root: Path, files: Sequence[str]) -> list[str]:
    """The top-level folders (``.`` for the top itself) holding at least a sixth of the
    project's own code files, most first; one that holds a single folder of most of its code
    is replaced by that folder (``src/lore`` rather than ``src``)."""
    code = [p for p in files if manifest_role(p) == "project" and _is_code(root, p)]
    per_top = Counter(p.split("/")[0] if "/" in p else "." for p in code)
    chosen = [d for d, n in per_top.most_common(3) if n >= len(code) / 6]
    return [_deepest_majority(folder, code) for folder in chosen]


def _deepest_majority(folder: str, code: Sequence[str]) -> str:
    while folder != ".":
        inside = [p for p in code if p.startswith(folder + "/")]
        children = Counter(
            p[len(folder) + 1 :].split("/")[0]
            for p in inside
            if p.count("/") > folder.count("/") + 1
        )
        best = children.most_common(1)
        if not best or best[0][1] < 0.8 * len(inside):
            return folder
        folder = f"{folder}/{best[0][0]}"
    return folder


def _is_code(root: Path, path: str) -> bool:
    """Code by its extension, or a script without one (``bin/tool``) by its ``#!`` line."""
    language = _language(path)
    if language is not None:
        return language[1] == "code"
    if "." in PurePosixPath(path).name:
        return False
    try:
        with (root / path).open("rb") as file:
            return file.read(2) == b"#!"
    except OSError:
        return False


def _tests(
    files: Sequence[str], manifests: Sequence[dict[str, Any]], scripts: dict[str, dict[str, str]]
) -> dict[str, Any]:
    names = [PurePosixPath(p).name for p in files]
    test_dirs = sorted(
        {
            "/".join(p.split("/")[: i + 1])
            for p in files
            for i, part in enumerate(p.split("/")[:-1][:3])
            if part in TEST_DIR_NAMES
        },
        key=lambda d: (d.count("/"), d),
    )
    runners = [f["name"] for f in mf.frameworks(manifests) if f["category"] == "test"]
    if any(name.endswith("_test.go") for name in names):
        runners.append("go test")
    if any(m.get("kind") == "cargo" for m in manifests):
        runners.append("cargo test")
    configs = sorted(
        {p for p, n in zip(files, names, strict=True) if _is_test_config(n) and p.count("/") < 3}
    )
    return {
        "frameworks": runners,
        "dirs": test_dirs[:20],
        "test_files": sum(1 for name in names if TEST_FILE.match(name)),
        "config_files": configs[:20],
        "commands": _test_commands(scripts),
        "pytest": next((m["pytest"] for m in manifests if m.get("pytest")), None),
    }


def _is_test_config(name: str) -> bool:
    return name in TEST_CONFIGS or name.startswith(TEST_CONFIG_PREFIXES)


def _test_commands(scripts: dict[str, dict[str, str]]) -> dict[str, str]:
    return {
        f"{path}:{name}": command
        for path, commands in scripts.items()
        for name, command in commands.items()
        if name == "test" or name.startswith(("test:", "test-", "test_"))
    }


# Size


def fit(payload: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """Halve the collection with the most entries until the JSON fits ``max_bytes``."""
    while _size(payload) > max_bytes:
        holder, key = _largest_collection(payload)
        if holder is None:
            break
        value = holder[key]
        keep = len(value) // 2
        holder[key] = value[:keep] if isinstance(value, list) else dict(list(value.items())[:keep])
        payload["truncated"] = True
    return payload


def _size(payload: dict[str, Any]) -> int:
    return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())


def _largest_collection(value: Any) -> tuple[Any, Any]:
    """(container, key) of the list or dict with the most entries below the top level."""
    best: tuple[int, Any, Any] = (1, None, None)
    for holder, key, item in _children(value):
        if isinstance(item, (list, dict)) and len(item) > best[0]:
            best = (len(item), holder, key)
    return best[1], best[2]


def _children(value: Any) -> Iterable[tuple[Any, Any, Any]]:
    entries: Iterable[tuple[Any, Any]] = (
        value.items() if isinstance(value, dict) else enumerate(value)
    )
    for key, item in entries:
        if isinstance(item, (list, dict)):
            yield value, key, item
            yield from _children(item)
