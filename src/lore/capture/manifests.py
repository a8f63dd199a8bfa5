"""What a repository's manifests, task files and CI files say: dependencies, scripts, jobs,
and the frameworks the dependencies reveal. Used by ``lore scan``.

Dependencies are ``[name, spec]`` pairs rather than ``{name: spec}`` maps so that names such as
``tiktoken`` or ``jsonwebtoken`` never look like secret keys to redaction.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

MAX_DEPENDENCIES = 150
MAX_SCRIPTS = 80
MAX_RECIPE_LINES = 3
MAX_CI_STEPS = 30

Manifest = dict[str, Any]
Pairs = list[list[str]]

_PEP508 = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._\-]*)\s*(?:\[[^\]]*\])?\s*(.*?)\s*$")
_MAKE_TARGET = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_./\- ]*?)\s*:(?![=:])")
_JUST_RECIPE = re.compile(r"^@?([A-Za-z_][A-Za-z0-9_\-]*)(?:\s+[^:=]*)?:(?!=)")
_GEM = re.compile(r"""^\s*gem\s+["']([^"']+)["'](?:\s*,\s*["']([^"']+)["'])?""")
_SETUP_ACTION = re.compile(r"^actions/setup-(python|node|go|java|ruby|dotnet)@")
_MATRIX_REFERENCE = re.compile(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}")
_GO_REQUIRE = re.compile(r"^\s*(?:require\s+)?([^\s()]+)\s+(v[^\s]+)(\s*//\s*indirect)?")


def read_manifest(root: Path, path: str) -> Manifest | None:
    """The manifest at ``path`` (relative to ``root``) parsed, or None when it is not one."""
    name = PurePosixPath(path).name
    reader = _READERS.get(name)
    if reader is None and _is_requirements(path):
        reader = _requirements
    if reader is None:
        kind = _NOTED.get(name) or ("dotnet" if name.endswith((".csproj", ".fsproj")) else None)
        return {"path": path, "kind": kind} if kind else None
    try:
        text = (root / path).read_text(encoding="utf-8", errors="replace")
        manifest = reader(text)
    except (OSError, ValueError, TypeError, AttributeError, KeyError, yaml.YAMLError) as exc:
        return {"path": path, "kind": name, "error": f"could not be read: {exc}"[:200]}
    return {"path": path, **{key: value for key, value in manifest.items() if value}}


def read_text(path: Path) -> str:
    """A text file's content; empty when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _is_requirements(path: str) -> bool:
    pure = PurePosixPath(path)
    return pure.suffix in (".txt", ".in") and (
        pure.name.startswith("requirements") or pure.parent.name == "requirements"
    )


def _package_json(text: str) -> Manifest:
    data = json.loads(text)
    return {
        "kind": "npm",
        "name": data.get("name"),
        "description": data.get("description"),
        "dependencies": _pairs(data.get("dependencies")),
        "dev_dependencies": _pairs(data.get("devDependencies")),
        "peer_dependencies": _pairs(data.get("peerDependencies")),
        "scripts": _capped(data.get("scripts")),
        "workspaces": data.get("workspaces"),
        "node": (data.get("engines") or {}).get("node"),
    }


def _composer_json(text: str) -> Manifest:
    data = json.loads(text)
    return {
        "kind": "composer",
        "name": data.get("name"),
        "dependencies": _pairs(data.get("require")),
        "dev_dependencies": _pairs(data.get("require-dev")),
        "scripts": _capped(data.get("scripts")),
    }


def _pyproject(text: str) -> Manifest:
    data = tomllib.loads(text)
    project = data.get("project", {})
    tool = data.get("tool", {})
    poetry = tool.get("poetry", {})
    optional = {
        extra: _requirement_pairs(items)
        for extra, items in project.get("optional-dependencies", {}).items()
    }
    groups = {
        name: _pairs(group.get("dependencies"))
        for name, group in poetry.get("group", {}).items()
        if isinstance(group, dict)
    }
    return {
        "kind": "python",
        "name": project.get("name") or poetry.get("name"),
        "description": project.get("description") or poetry.get("description"),
        "requires_python": project.get("requires-python"),
        "build_backend": data.get("build-system", {}).get("build-backend"),
        "dependencies": _requirement_pairs(project.get("dependencies", []))
        or _pairs(poetry.get("dependencies")),
        "optional_dependencies": optional,
        "dependency_groups": groups
        | {
            name: _requirement_pairs(items)
            for name, items in data.get("dependency-groups", {}).items()
        },
        "scripts": _capped(
            project.get("scripts", {})
            | project.get("gui-scripts", {})
            | poetry.get("scripts", {})
            | tool.get("pdm", {}).get("scripts", {})
            | tool.get("taskipy", {}).get("tasks", {})
        ),
        "tools": sorted(tool),
        "pytest": tool.get("pytest", {}).get("ini_options"),
    }


def _pipfile(text: str) -> Manifest:
    data = tomllib.loads(text)
    return {
        "kind": "python",
        "dependencies": _pairs(data.get("packages")),
        "dev_dependencies": _pairs(data.get("dev-packages")),
        "scripts": _capped(data.get("scripts")),
    }


def _requirements(text: str) -> Manifest:
    lines = [line.split(" #")[0].strip() for line in text.splitlines()]
    wanted = [line for line in lines if line and not line.startswith(("#", "-", "git+", "http"))]
    return {"kind": "python", "dependencies": _requirement_pairs(wanted)}


def _cargo(text: str) -> Manifest:
    data = tomllib.loads(text)
    workspace = data.get("workspace", {})
    return {
        "kind": "cargo",
        "name": data.get("package", {}).get("name"),
        "description": data.get("package", {}).get("description"),
        "rust_version": data.get("package", {}).get("rust-version"),
        "dependencies": _pairs(data.get("dependencies") or workspace.get("dependencies")),
        "dev_dependencies": _pairs(data.get("dev-dependencies")),
        "build_dependencies": _pairs(data.get("build-dependencies")),
        "workspace_members": workspace.get("members"),
    }


def _go_mod(text: str) -> Manifest:
    module, go_version, requires = None, None, []
    in_block = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("module "):
            module = stripped.split()[1]
        elif stripped.startswith("go ") and go_version is None:
            go_version = stripped.split()[1]
        elif stripped.startswith("require ("):
            in_block = True
        elif in_block and stripped == ")":
            in_block = False
        elif in_block or stripped.startswith("require "):
            match = _GO_REQUIRE.match(stripped)
            if match and not match[3]:  # indirect requirements are only transitive
                requires.append([match[1], match[2]])
    return {
        "kind": "go",
        "name": module,
        "go": go_version,
        "dependencies": requires[:MAX_DEPENDENCIES],
    }


def _gemfile(text: str) -> Manifest:
    runtime: Pairs = []
    development: Pairs = []
    depth_in_dev_group = 0
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("group ") and stripped.endswith(" do"):
            depth_in_dev_group += 1 if (":development" in stripped or ":test" in stripped) else 0
        elif stripped == "end" and depth_in_dev_group:
            depth_in_dev_group -= 1
        elif match := _GEM.match(line):
            (development if depth_in_dev_group else runtime).append([match[1], match[2] or ""])
    return {
        "kind": "ruby",
        "dependencies": runtime[:MAX_DEPENDENCIES],
        "dev_dependencies": development[:MAX_DEPENDENCIES],
    }


_READERS: dict[str, Callable[[str], Manifest]] = {
    "package.json": _package_json,
    "composer.json": _composer_json,
    "pyproject.toml": _pyproject,
    "Pipfile": _pipfile,
    "Cargo.toml": _cargo,
    "go.mod": _go_mod,
    "Gemfile": _gemfile,
}
# Manifests noted by kind only: reading them needs their build tool.
_NOTED = {
    "setup.py": "python",
    "setup.cfg": "python",
    "pom.xml": "maven",
    "build.gradle": "gradle",
    "build.gradle.kts": "gradle",
    "mix.exs": "elixir",
    "pubspec.yaml": "dart",
    "Package.swift": "swift",
    "deno.json": "deno",
    "CMakeLists.txt": "cmake",
}
MANIFEST_NAMES = frozenset(_READERS) | frozenset(_NOTED)


def is_manifest(path: str) -> bool:
    name = PurePosixPath(path).name
    return name in MANIFEST_NAMES or _is_requirements(path) or name.endswith((".csproj", ".fsproj"))


def _pairs(mapping: Any) -> Pairs:
    """``{name: spec}`` (spec a string or a table such as ``{version = "1"}``) as pairs."""
    if not isinstance(mapping, dict):
        return []
    return [[str(name), _spec(spec)] for name, spec in list(mapping.items())[:MAX_DEPENDENCIES]]


def _spec(spec: Any) -> str:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        for key in ("version", "path", "git", "workspace"):
            if key in spec:
                return f"{key} {spec[key]}" if key != "version" else str(spec[key])
    return json.dumps(spec)[:80]


def _requirement_pairs(requirements: Iterable[Any]) -> Pairs:
    pairs = []
    for requirement in requirements:
        match = _PEP508.match(str(requirement))
        if match:
            pairs.append([match[1].lower().replace("_", "-"), match[2]])
    return pairs[:MAX_DEPENDENCIES]


def _capped(mapping: Any) -> dict[str, str]:
    if not isinstance(mapping, dict):
        return {}
    items = list(mapping.items())[:MAX_SCRIPTS]
    return {str(k): v if isinstance(v, str) else json.dumps(v)[:300] for k, v in items}


# Task files


def makefile_targets(text: str) -> dict[str, str]:
    """Targets of a Makefile with the first lines of their recipes; a target without a recipe
    with what it runs first (``all: fmt test`` is ``make fmt test``)."""
    targets: dict[str, list[str]] = {}
    prerequisites: dict[str, str] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("\t"):
            if current is not None and len(current) < MAX_RECIPE_LINES and line.strip():
                current.append(line.strip().lstrip("@-"))
            continue
        current = None
        match = _MAKE_TARGET.match(line)
        if not match or line.startswith((" ", "#")):
            continue
        current = []  # one recipe, shared by every target of the rule
        needs = line[match.end() :].split("#", 1)[0].split(";", 1)[0].split()
        for name in match[1].split():
            if not name.startswith(".") and "%" not in name and len(targets) < MAX_SCRIPTS:
                targets.setdefault(name, current)
                prerequisites.setdefault(name, " ".join(needs))
    return {
        name: "; ".join(recipe) or (f"make {prerequisites[name]}" if prerequisites[name] else "")
        for name, recipe in targets.items()
    }


def tox_environments(text: str) -> dict[str, str]:
    """tox environments with their commands: ``[testenv]`` (what a plain ``tox`` runs for each
    Python of the envlist) as ``testenv``, ``[testenv:docs]`` as ``docs``."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    environments: dict[str, str] = {}
    for section in parser.sections():
        name = section.removeprefix("testenv:") if section.startswith("testenv") else None
        commands = parser[section].get("commands", "").strip()
        if name and commands and len(environments) < MAX_SCRIPTS:
            lines = [line.strip() for line in commands.splitlines() if line.strip()]
            environments[name] = "; ".join(lines[:MAX_RECIPE_LINES])
    return environments


def justfile_recipes(text: str) -> dict[str, str]:
    recipes: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line[:1] in (" ", "\t"):
            if current is not None and len(current) < MAX_RECIPE_LINES and line.strip():
                current.append(line.strip().lstrip("@-"))
            continue
        current = None
        match = _JUST_RECIPE.match(line)
        if match and not line.startswith(("set ", "alias ", "export ", "import ", "mod ")):
            current = recipes.setdefault(match[1], [])
    return {name: "; ".join(body) for name, body in list(recipes.items())[:MAX_SCRIPTS]}


# CI files


def github_workflow(text: str) -> dict[str, Any]:
    """A GitHub Actions workflow: name, triggers, and per job its runner and steps."""
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        return {}
    # YAML 1.1 reads the key `on` as True.
    triggers = data.get("on", data.get(True))
    jobs = {}
    for name, job in (data.get("jobs") or {}).items():
        if isinstance(job, dict):
            matrix = _matrix(job.get("strategy"))
            setup = _setup_versions(job.get("steps") or [], matrix)
            jobs[str(name)] = (
                {"runs_on": job.get("runs-on"), "steps": _github_steps(job.get("steps") or [])}
                | ({"matrix": matrix} if matrix else {})
                | ({"setup": setup} if setup else {})
            )
    return {"name": data.get("name"), "on": workflow_triggers(triggers), "jobs": jobs}


def workflow_triggers(on: Any) -> list[str]:
    """What starts a workflow, each trigger with its filters: ``push of tags v*``, ``push to
    main``, ``pull_request``, ``release published``, ``schedule 0 3 * * *``,
    ``workflow_dispatch`` (a run by hand). A release workflow that runs on tags says so."""
    if isinstance(on, str):
        return [on]
    if isinstance(on, list):
        return [str(event) for event in on]
    if not isinstance(on, dict):
        return []
    return [_trigger(str(event), spec) for event, spec in on.items()]


def _trigger(event: str, spec: Any) -> str:
    if event == "schedule" and isinstance(spec, list):
        crons = [str(entry.get("cron")) for entry in spec if isinstance(entry, dict)]
        return f"schedule {', '.join(crons)}" if crons else event
    if not isinstance(spec, dict):
        return event
    parts = []
    for key, words in (("tags", "of tags"), ("branches", "to"), ("types", "")):
        values = spec.get(key)
        if isinstance(values, list) and values:
            parts.append(f"{words} {', '.join(map(str, values))}".strip())
    for key, words in (("tags-ignore", "except tags"), ("branches-ignore", "except branches")):
        values = spec.get(key)
        if isinstance(values, list) and values:
            parts.append(f"{words} {', '.join(map(str, values))}")
    paths = spec.get("paths")
    if isinstance(paths, list) and paths:
        parts.append(f"(paths {', '.join(map(str, paths[:5]))})")
    return " ".join([event, *parts])


def _matrix(strategy: Any) -> dict[str, list[str]]:
    """The matrix's listed values (``python-version: [3.10, 3.11]``), ``include`` and
    ``exclude`` left out; a matrix computed by an expression has none to read."""
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return {}
    return {
        str(key): [str(value) for value in values]
        for key, values in matrix.items()
        if key not in ("include", "exclude") and isinstance(values, list)
    }


def _setup_versions(steps: list[Any], matrix: dict[str, list[str]]) -> dict[str, list[str]]:
    """The versions a job's ``actions/setup-<language>`` steps install, each
    ``${{ matrix.key }}`` replaced by the matrix's values: ``1.${{ matrix.go }}.x`` over
    ``go: [15, 16]`` is 1.15.x and 1.16.x."""
    found: dict[str, list[str]] = {}
    for step in steps:
        uses = str(step.get("uses") or "") if isinstance(step, dict) else ""
        match = _SETUP_ACTION.match(uses)
        options = step.get("with") if isinstance(step, dict) else None
        if not match or not isinstance(options, dict):
            continue
        language = match[1]
        version = options.get(f"{language}-version")
        if version is not None:
            found.setdefault(language, []).extend(_expand(str(version), matrix))
    return found


def _expand(template: str, matrix: dict[str, list[str]]) -> list[str]:
    reference = _MATRIX_REFERENCE.search(template)
    if reference is None:
        return [template]
    values = matrix.get(reference[1])
    if not values:
        return []  # computed elsewhere: nothing to read
    return [
        expanded
        for value in values
        for expanded in _expand(template.replace(reference[0], value, 1), matrix)
    ]


def _github_steps(steps: list[Any]) -> list[str]:
    shown = []
    for step in steps[:MAX_CI_STEPS]:
        if isinstance(step, dict) and step.get("run"):
            shown.append("run: " + str(step["run"]).strip())
        elif isinstance(step, dict) and step.get("uses"):
            shown.append("uses: " + str(step["uses"]))
    return shown


# Top-level keys of .gitlab-ci.yml that are settings, not jobs.
_GITLAB_KEYWORDS = {
    "stages", "variables", "default", "include", "workflow", "image", "services",
    "before_script", "after_script", "cache",
}  # fmt: skip


def gitlab_ci(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        return {}
    jobs = {}
    for name, job in data.items():
        if name in _GITLAB_KEYWORDS or str(name).startswith(".") or not isinstance(job, dict):
            continue
        script = job.get("script") or []
        jobs[str(name)] = {
            "stage": job.get("stage"),
            "steps": [str(line) for line in (script if isinstance(script, list) else [script])][
                :MAX_CI_STEPS
            ],
        }
    return {"stages": data.get("stages"), "jobs": jobs}


# Frameworks, by the dependency that reveals them: name -> (label, category).
FRAMEWORKS: dict[str, tuple[str, str]] = {
    # Python
    "fastapi": ("FastAPI", "web"), "django": ("Django", "web"), "flask": ("Flask", "web"),
    "starlette": ("Starlette", "web"), "aiohttp": ("aiohttp", "web"), "tornado": ("Tornado", "web"),
    "litestar": ("Litestar", "web"), "sanic": ("Sanic", "web"), "streamlit": ("Streamlit", "web"),
    "typer": ("Typer", "cli"), "click": ("Click", "cli"), "pydantic": ("Pydantic", "validation"),
    "sqlalchemy": ("SQLAlchemy", "orm"), "alembic": ("Alembic", "migrations"),
    "celery": ("Celery", "jobs"), "torch": ("PyTorch", "ml"), "tensorflow": ("TensorFlow", "ml"),
    "langchain": ("LangChain", "llm"), "pytest": ("pytest", "test"), "tox": ("tox", "test"),
    "hypothesis": ("Hypothesis", "test"), "nox": ("nox", "test"),
    # JavaScript / TypeScript
    "react": ("React", "ui"), "next": ("Next.js", "web"), "vue": ("Vue", "ui"),
    "nuxt": ("Nuxt", "web"), "svelte": ("Svelte", "ui"), "@sveltejs/kit": ("SvelteKit", "web"),
    "@angular/core": ("Angular", "ui"), "solid-js": ("Solid", "ui"), "astro": ("Astro", "web"),
    "@remix-run/react": ("Remix", "web"), "express": ("Express", "web"),
    "fastify": ("Fastify", "web"), "koa": ("Koa", "web"), "hono": ("Hono", "web"),
    "@nestjs/core": ("NestJS", "web"), "electron": ("Electron", "desktop"),
    "react-native": ("React Native", "mobile"), "tailwindcss": ("Tailwind CSS", "ui"),
    "@prisma/client": ("Prisma", "orm"), "prisma": ("Prisma", "orm"),
    "typeorm": ("TypeORM", "orm"), "mongoose": ("Mongoose", "orm"),
    "drizzle-orm": ("Drizzle", "orm"), "vite": ("Vite", "build"), "webpack": ("webpack", "build"),
    "typescript": ("TypeScript", "language"), "jest": ("Jest", "test"),
    "vitest": ("Vitest", "test"), "mocha": ("Mocha", "test"),
    "@playwright/test": ("Playwright", "test"), "cypress": ("Cypress", "test"),
    # Rust
    "actix-web": ("Actix Web", "web"), "axum": ("Axum", "web"), "rocket": ("Rocket", "web"),
    "warp": ("warp", "web"), "tokio": ("Tokio", "async"), "serde": ("Serde", "serialization"),
    "diesel": ("Diesel", "orm"), "sqlx": ("SQLx", "orm"), "clap": ("clap", "cli"),
    # Go
    "github.com/gin-gonic/gin": ("Gin", "web"), "github.com/labstack/echo": ("Echo", "web"),
    "github.com/gofiber/fiber": ("Fiber", "web"), "github.com/gorilla/mux": ("Gorilla mux", "web"),
    "github.com/go-chi/chi": ("chi", "web"), "github.com/spf13/cobra": ("Cobra", "cli"),
    "gorm.io/gorm": ("GORM", "orm"), "github.com/stretchr/testify": ("testify", "test"),
    # Databases and their clients, any language
    "knex": ("Knex", "database"), "bookshelf": ("Bookshelf", "orm"), "sequelize": ("Sequelize", "orm"),
    "mysql2": ("MySQL", "database"), "mysql": ("MySQL", "database"), "pg": ("PostgreSQL", "database"),
    "sqlite3": ("SQLite", "database"), "better-sqlite3": ("SQLite", "database"),
    "mongodb": ("MongoDB", "database"), "ioredis": ("Redis", "database"), "redis": ("Redis", "database"),
    "psycopg": ("PostgreSQL", "database"), "psycopg2": ("PostgreSQL", "database"),
    "psycopg2-binary": ("PostgreSQL", "database"), "asyncpg": ("PostgreSQL", "database"),
    "pymysql": ("MySQL", "database"), "pymongo": ("MongoDB", "database"), "motor": ("MongoDB", "database"),
    "peewee": ("peewee", "orm"), "tortoise-orm": ("Tortoise ORM", "orm"),
    "github.com/lib/pq": ("PostgreSQL", "database"), "github.com/jackc/pgx": ("PostgreSQL", "database"),
    "github.com/go-sql-driver/mysql": ("MySQL", "database"),
    "github.com/mattn/go-sqlite3": ("SQLite", "database"), "rusqlite": ("SQLite", "database"),
    "tokio-postgres": ("PostgreSQL", "database"),
    # Ruby and PHP
    "rails": ("Ruby on Rails", "web"), "sinatra": ("Sinatra", "web"), "rspec": ("RSpec", "test"),
    "rspec-rails": ("RSpec", "test"), "laravel/framework": ("Laravel", "web"),
    "symfony/framework-bundle": ("Symfony", "web"), "phpunit/phpunit": ("PHPUnit", "test"),
}  # fmt: skip


def frameworks(manifests: Iterable[Manifest]) -> list[dict[str, str]]:
    """Frameworks named by any dependency of any manifest, once each, in manifest order."""
    found: dict[str, dict[str, str]] = {}
    for manifest in manifests:
        for name in _dependency_names(manifest):
            hit = FRAMEWORKS.get(name) or FRAMEWORKS.get(_go_module_base(name))
            if hit and hit[0] not in found:
                found[hit[0]] = {"name": hit[0], "category": hit[1], "manifest": manifest["path"]}
    return list(found.values())


def _dependency_names(manifest: Manifest) -> Iterable[str]:
    for key, value in manifest.items():
        if key.endswith("dependencies") and isinstance(value, list):
            yield from (pair[0].lower() for pair in value)
        elif key in ("optional_dependencies", "dependency_groups") and isinstance(value, dict):
            for pairs in value.values():
                yield from (pair[0].lower() for pair in pairs)


def _go_module_base(name: str) -> str:
    """``github.com/labstack/echo/v4`` -> ``github.com/labstack/echo``."""
    parts = name.split("/")
    return "/".join(parts[:-1]) if len(parts) > 3 and re.fullmatch(r"v\d+", parts[-1]) else name
