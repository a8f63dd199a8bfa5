"""Schema keys: where an item belongs in the project's map, like ``root/backend/auth``.

From files when an item has them: the folders they share, without the segments that say nothing
(``src``, ``lib``, the package's own name), plus the file's stem when there is one file. From the
subject otherwise: the first known topic its text mentions, else the item's type.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePosixPath

ROOT = "root"
MAX_DEPTH = 3
# Path segments that carry no meaning about the area of the code.
NOISE = {
    "src", "lib", "libs", "app", "apps", "pkg", "packages", "internal", "source", "sources",
    "main", "java", "python", "code", "modules", ".", "",
}  # fmt: skip
# Files that declare dependencies: an item about one of them is about the dependencies.
MANIFESTS = {
    "pyproject.toml", "package.json", "cargo.toml", "go.mod", "requirements.txt", "pipfile",
    "gemfile", "composer.json", "setup.py", "setup.cfg", "pom.xml", "build.gradle",
}  # fmt: skip
GENERIC_STEMS = {"__init__", "index", "main", "mod", "__main__", "init", "readme", "route", "page"}
# Topic -> words that reveal it (matched as whole words).
TOPICS: dict[str, tuple[str, ...]] = {
    "auth": ("auth", "authentication", "login", "jwt", "oauth", "session cookie", "password"),
    "database": ("database", "sql", "sqlite", "postgres", "postgresql", "migration", "orm"),
    "api": ("api", "endpoint", "rest", "graphql", "http"),
    "tests": ("test", "tests", "pytest", "jest", "vitest", "fixture", "coverage"),
    "ci": ("ci", "github actions", "workflow", "pipeline"),
    "build": ("build", "bundle", "webpack", "vite", "compile", "packaging"),
    "deploy": ("deploy", "deployment", "docker", "kubernetes", "release"),
    "config": ("config", "configuration", "settings", "env", "environment variable"),
    "dependencies": ("dependency", "dependencies", "package", "version", "upgrade"),
    "frontend": ("frontend", "ui", "css", "react", "component", "template"),
    "cli": ("cli", "command line", "typer", "argparse"),
    "logging": ("log", "logging", "logger"),
    "performance": ("performance", "latency", "cache", "caching", "slow", "speed"),
    "security": ("security", "secret", "redact", "token", "permission"),
    "docs": ("docs", "documentation", "readme"),
    "errors": ("error", "exception", "traceback", "retry"),
}
_TOPIC_PATTERNS = {
    topic: re.compile(r"\b(" + "|".join(re.escape(word) for word in words) + r")\b", re.I)
    for topic, words in TOPICS.items()
}
_SLUG = re.compile(r"[^a-z0-9]+")


def schema_key(
    files: Sequence[str], text: str = "", *, fallback: str = "general", package: str = ""
) -> str:
    """The key for an item about ``files`` (preferred) or ``text``."""
    from_files = _from_files(files, package)
    if from_files:
        return "/".join([ROOT, *from_files])
    return f"{ROOT}/{topic_of(text) or slug(fallback)}"


def topic_of(text: str) -> str | None:
    """The first known topic ``text`` mentions, by order of first mention."""
    best: tuple[int, str] | None = None
    for topic, pattern in _TOPIC_PATTERNS.items():
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), topic)
    return best[1] if best else None


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")


def _from_files(files: Sequence[str], package: str) -> list[str]:
    paths = [PurePosixPath(path.lstrip("./")) for path in files if path and path.strip()]
    if not paths:
        return []
    folders = [_meaningful(path, package) for path in paths]
    shared = _common_prefix(folders)
    if not shared:
        # Files all over the tree: the area most of them are in.
        areas = Counter(folder[0] for folder in folders if folder)
        shared = [areas.most_common(1)[0][0]] if areas else []
    stem = slug(paths[0].stem)
    if len(paths) == 1 and paths[0].name.lower() in MANIFESTS:
        shared = [*shared, "dependencies"]
    elif len(paths) == 1 and stem and stem not in GENERIC_STEMS:
        shared = [*shared, stem]
    return [slug(part) for part in shared[:MAX_DEPTH] if slug(part)]


def _meaningful(path: PurePosixPath, package: str) -> list[str]:
    parts = path.parent.parts
    if path.suffix == ".py" and len(parts) > 2 and parts[0] == "src":
        parts = parts[2:]  # the src layout: src/<package>/<area>/...
    kept = [part for part in parts if part.lower() not in NOISE]
    if kept and package and slug(kept[0]) == slug(package):
        kept = kept[1:]
    return kept


def _common_prefix(folders: list[list[str]]) -> list[str]:
    shared: list[str] = []
    for parts in zip(*folders, strict=False):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    return shared
