"""Items from a repository scan (``scan_result``): the stack, the dependencies of each manifest,
how to run, test and build, CI, the layout and what the README says the project is.

Every fact is read straight from the scan, so these items carry a high confidence; their dedup
hints are stable (``scan:stack``, ``scan:dependencies:<manifest>``...) so a later scan of the
same repository reinforces or supersedes them instead of adding copies.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from lore.capture.scan import own
from lore.domain import Event
from lore.extraction.offline.build import Options, quote
from lore.extraction.offline.text import clip, plural
from lore.extraction.prompts_enrich import EvidenceRef, ExtractedItem

MAX_DEPENDENCIES = 30
MAX_COMMANDS = 25
# Script names that say what a command is for, and how to say it.
PURPOSES: dict[str, tuple[tuple[str, ...], str]] = {
    "test": (("test", "tests", "check", "test:unit", "testenv"), "Run the tests"),
    "lint": (("lint", "lint:fix", "ruff", "eslint"), "Lint the code"),
    "format": (("format", "fmt", "prettier"), "Format the code"),
    "typecheck": (("typecheck", "type-check", "types", "mypy", "tsc"), "Type-check the code"),
    "build": (("build", "compile", "dist"), "Build the project"),
    "dev": (
        ("dev", "start", "serve", "run", "develop"),
        "Start the project locally for development",
    ),
    "docs": (("docs", "doc", "docs:build", "build-docs", "html"), "Build the documentation"),
}
# The scan's layout roles, and how a fact about each starts.
LAYOUT_ROLES = {
    "code": "The code lives in",
    "tests": "Tests live in",
    "docs": "Docs live in",
    "examples": "Examples, fixtures and vendored code (not the project's own) live in",
}
# What a CI step publishes to, by words it holds.
PUBLISHERS = {
    "pypa/gh-action-pypi-publish": "PyPI", "twine upload": "PyPI", "uv publish": "PyPI",
    "poetry publish": "PyPI", "flit publish": "PyPI", "hatch publish": "PyPI",
    "npm publish": "npm", "pnpm publish": "npm", "yarn publish": "npm", "yarn npm publish": "npm",
    "changesets/action": "npm", "semantic-release": "npm", "goreleaser": "GitHub Releases (GoReleaser)",
    "cargo publish": "crates.io", "docker/build-push-action": "a container registry",
    "docker push": "a container registry", "softprops/action-gh-release": "GitHub Releases",
    "gh release create": "GitHub Releases", "ncipollo/release-action": "GitHub Releases",
    "actions/deploy-pages": "GitHub Pages", "peaceiris/actions-gh-pages": "GitHub Pages",
    "gem push": "RubyGems",
}  # fmt: skip


def from_scan(event: Event, options: Options) -> list[ExtractedItem]:
    scan = event.payload
    name = str(scan.get("name") or PurePosixPath(str(scan.get("root", ""))).name or "project")
    makers = (
        _stack,
        _dependencies,
        _procedures,
        _commands,
        _ci,
        _release,
        _layout,
        _readme,
        _tests,
        _build,
        _versions,
        _linters,
        _pre_commit,
    )
    return [item for make in makers for item in make(event, scan, name)]


def _item(event: Event, **fields: Any) -> ExtractedItem:
    fields.setdefault("confidence", 0.95)
    fields.setdefault("importance", 0.6)
    fields.setdefault("type", "architecture")
    fields["tags"] = sorted({"scan", *fields.get("tags", [])})
    return ExtractedItem(**fields)


def _stack(event: Event, scan: dict[str, Any], name: str) -> Iterator[ExtractedItem]:
    languages: dict[str, Any] = scan.get("languages") or {}
    primary = scan.get("primary_language")
    frameworks = [f for f in scan.get("frameworks") or [] if isinstance(f, dict)]
    if not primary and not frameworks:
        return
    facts, evidence = [], []
    if primary:
        counts = languages.get(primary, {})
        facts.append(
            f"Primary language: {primary} ({counts.get('lines', 0):,} lines in"
            f" {counts.get('files', 0)} files)."
        )
        evidence.append(quote(event, f"primary_language: {primary}"))
    others = [lang for lang in languages if lang != primary][:4]
    if others:
        shown = ", ".join(f"{lang} ({languages[lang].get('lines', 0):,} lines)" for lang in others)
        facts.append(f"Other languages: {shown}.")
    for framework in frameworks:
        category = str(framework.get("category", "library")).replace("_", " ")
        facts.append(
            f"{category.capitalize()}: {framework['name']} (from {framework.get('manifest')})."
        )
        evidence.append(quote(event, str(framework["name"])))
    python = _requires_python(scan)
    if python:
        facts.append(f"Requires Python {python}.")
    names = ", ".join(str(f["name"]) for f in frameworks[:4])
    title = f"{name}: {primary or 'the'} stack" + (f" with {names}" if names else "")
    yield _item(
        event,
        title=clip(title),
        facts=facts,
        schema_key="root/stack",
        importance=0.85,
        tags=[t for t in (str(primary or "").lower(), "stack") if t],
        dedup_hint="scan:stack",
        evidence=evidence,
    )


def _requires_python(scan: dict[str, Any]) -> str | None:
    for manifest in _own_manifests(scan):
        if manifest.get("requires_python"):
            return str(manifest["requires_python"])
    return None


def _own_manifests(scan: dict[str, Any]) -> list[dict[str, Any]]:
    """The project's manifests: not those of its examples, fixtures, tests, docs or vendored
    code (``role``, kept by the scan)."""
    manifests = [m for m in scan.get("manifests") or [] if isinstance(m, dict)]
    return own(manifests)


def _dependencies(event: Event, scan: dict[str, Any], name: str) -> Iterator[ExtractedItem]:
    for manifest in _own_manifests(scan):
        if not manifest.get("path"):
            continue
        runtime = _pairs(manifest.get("dependencies"))
        development = _pairs(manifest.get("dev_dependencies"))
        for group in ("optional_dependencies", "dependency_groups"):
            for pairs in (manifest.get(group) or {}).values():
                development += _pairs(pairs)
        if not runtime and not development:
            continue
        path = str(manifest["path"])
        facts = []
        if runtime:
            facts.append(f"Runtime dependencies: {_shown(runtime)}.")
        if development:
            facts.append(f"Development dependencies: {_shown(development)}.")
        folder = PurePosixPath(path).parent
        area = "/".join(part.lower() for part in folder.parts if part not in (".", ""))
        first = (runtime or development)[0][0]
        yield _item(
            event,
            title=clip(f"Dependencies declared in {path} ({manifest.get('kind', 'manifest')})"),
            facts=facts,
            files=[path],
            schema_key=f"root/{area}/dependencies" if area else "root/dependencies",
            importance=0.5,
            tags=["dependencies", str(manifest.get("kind", ""))],
            dedup_hint=f"scan:dependencies:{path}",
            evidence=[quote(event, path), quote(event, first)],
        )


def _pairs(value: Any) -> list[tuple[str, str]]:
    pairs = []
    for pair in value if isinstance(value, list) else []:
        if isinstance(pair, list | tuple) and pair:
            pairs.append((str(pair[0]), str(pair[1]) if len(pair) > 1 and pair[1] else ""))
    return pairs


def _shown(pairs: list[tuple[str, str]]) -> str:
    shown = ", ".join(f"{name} {spec}".strip() for name, spec in pairs[:MAX_DEPENDENCIES])
    more = len(pairs) - MAX_DEPENDENCIES
    return shown + (f" and {more} more" if more > 0 else "")


def _runnable(scan: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """(defining file, script name, how to invoke it, what it runs) for every script, those of
    the files at the top first."""
    top_files = set((scan.get("structure") or {}).get("top_files") or [])
    for path, commands in _script_files(scan):
        if not isinstance(commands, dict):
            continue
        file_name = PurePosixPath(str(path)).name
        for script, command in commands.items():
            invoke = _invocation(file_name, str(script), top_files)
            if invoke is not None:
                yield str(path), str(script), invoke, str(command)


def _script_files(scan: dict[str, Any]) -> list[tuple[str, Any]]:
    """(defining file, its scripts), the files at the top first: a stored payload comes back
    with its keys sorted, which would put ``content/themes/x/package.json`` first."""
    return sorted((scan.get("scripts") or {}).items(), key=lambda entry: str(entry[0]).count("/"))


def _invocation(file_name: str, script: str, top_files: set[str]) -> str | None:
    if file_name == "package.json":
        runner = (
            "pnpm"
            if "pnpm-lock.yaml" in top_files
            else "yarn"
            if "yarn.lock" in top_files
            else "npm"
        )
        return (
            f"{runner} test" if script == "test" and runner == "npm" else f"{runner} run {script}"
        )
    if file_name.lower() in ("makefile", "gnumakefile"):
        return f"make {script}"
    if file_name.lower() in ("justfile", ".justfile"):
        return f"just {script}"
    if file_name == "composer.json":
        return f"composer run {script}"
    if file_name == "tox.ini":
        return "tox" if script == "testenv" else f"tox -e {script}"
    if file_name in ("pyproject.toml", "Pipfile"):
        return None  # console entry points, listed with the commands but not run by name
    return f"{script} ({file_name})"


def _procedures(event: Event, scan: dict[str, Any], name: str) -> Iterator[ExtractedItem]:
    """One how-to per purpose (test, lint, build, ...): the first script named for it."""
    scripts = list(_runnable(scan))
    for purpose, (names, phrase) in PURPOSES.items():
        found = next((s for s in scripts if s[1].lower() in names), None)
        if found is None and purpose == "test":
            yield from _default_test_procedure(event, scan)
            continue
        if found is None:
            continue
        path, script, invoke, command = found
        yield _item(
            event,
            type="convention",
            kind="procedure",
            title=clip(f"{phrase}: `{invoke}`"),
            facts=[f"`{invoke}` runs `{clip(command, 200)}` (defined in {path})."],
            instruction=invoke,
            condition=f"to {phrase[0].lower()}{phrase[1:]}",
            expected_outcome=f"runs {clip(command, 120)}",
            files=[path],
            schema_key=f"root/commands/{purpose}",
            importance=0.75,
            confidence=0.9,
            tags=["commands", purpose],
            dedup_hint=f"scan:procedure:{purpose}",
            evidence=[quote(event, f"{script}: {command}")],
        )


def _default_test_procedure(event: Event, scan: dict[str, Any]) -> Iterator[ExtractedItem]:
    """No test script: the test runner the manifests reveal, run plainly."""
    runners = (scan.get("tests") or {}).get("frameworks") or []
    commands = {"pytest": "pytest", "go test": "go test ./...", "cargo test": "cargo test"}
    runner = next((r for r in runners if r in commands), None)
    if runner is None:
        return
    yield _item(
        event,
        type="convention",
        kind="procedure",
        title=f"Run the tests: `{commands[runner]}`",
        facts=[f"The tests run with {runner}; no test script is defined."],
        instruction=commands[runner],
        condition="to run the tests",
        expected_outcome=f"{runner} runs the test suite",
        schema_key="root/commands/test",
        importance=0.7,
        confidence=0.8,
        tags=["commands", "test"],
        dedup_hint="scan:procedure:test",
        evidence=[quote(event, runner)],
    )


def _commands(event: Event, scan: dict[str, Any], name: str) -> Iterator[ExtractedItem]:
    facts, evidence, files = [], [], set()
    top_files = set((scan.get("structure") or {}).get("top_files") or [])
    for path, commands in _script_files(scan):
        for script, command in list((commands or {}).items())[:MAX_COMMANDS]:
            invoke = _invocation(PurePosixPath(str(path)).name, str(script), top_files)
            shown = f"`{invoke}`" if invoke else f"console command `{script}`"
            facts.append(f"{shown}: {clip(str(command), 160)} ({path}).")
            files.add(str(path))
        evidence.append(quote(event, str(path)))
    if not facts:
        return
    yield _item(
        event,
        type="convention",
        title=f"Commands and scripts of {name}",
        facts=facts[:MAX_COMMANDS],
        files=sorted(files),
        schema_key="root/commands",
        importance=0.65,
        tags=["commands"],
        dedup_hint="scan:commands",
        evidence=evidence[:5],
    )


def _ci(event: Event, scan: dict[str, Any], name: str) -> Iterator[ExtractedItem]:
    """A workflow that runs commands; one that only calls actions (a labeller, a stale-issue
    bot) says nothing of how the project is checked, and one that publishes is a release."""
    for workflow in scan.get("ci") or []:
        if not isinstance(workflow, dict) or not workflow.get("jobs"):
            continue
        if not any(
            str(step).startswith("run:")
            for job in workflow["jobs"].values()
            for step in job.get("steps", [])
        ):
            continue
        path = str(workflow["path"])
        facts = []
        for job, spec in workflow["jobs"].items():
            steps = [s.removeprefix("run: ") for s in spec.get("steps", []) if s.startswith("run:")]
            runs_on = f" on {spec['runs_on']}" if spec.get("runs_on") else ""
            shown = "; ".join(f"`{clip(step, 80)}`" for step in steps[:6]) or "no run steps"
            facts.append(f"CI job `{job}`{runs_on} runs {shown}.")
        on = workflow.get("on")
        if on:
            facts.insert(0, f"Runs on {'; '.join(map(str, on)) if isinstance(on, list) else on}.")
        yield _item(
            event,
            type="convention",
            title=clip(f"CI: {workflow.get('name') or path}"),
            facts=facts,
            files=[path],
            schema_key="root/ci",
            importance=0.55,
            tags=["ci"],
            dedup_hint=f"scan:ci:{path}",
            evidence=[quote(event, path)],
        )


def _layout(event: Event, scan: dict[str, Any], name: str) -> Iterator[ExtractedItem]:
    dirs: dict[str, int] = (scan.get("structure") or {}).get("dirs") or {}
    top = sorted(((d, n) for d, n in dirs.items() if "/" not in d), key=lambda item: -item[1])
    if not top:
        return
    shown = ", ".join(f"{folder}/ ({plural(count, 'file')})" for folder, count in top[:10])
    facts = [f"Top-level folders: {shown}."]
    evidence = [quote(event, f"dirs.{top[0][0]}: {top[0][1]}")]
    layout = scan.get("layout") or {}
    for role, phrase in LAYOUT_ROLES.items():
        folders = [str(folder) for folder in layout.get(role) or []]
        if folders:
            facts.append(f"{phrase} {', '.join(folder + '/' for folder in folders)}.")
    code = [str(folder) for folder in layout.get("code") or []]
    if code:
        children = sorted(d.rsplit("/", 1)[1] for d in dirs if d.rpartition("/")[0] == code[0])
        if children:
            facts.append(f"Inside {code[0]}/: {', '.join(children[:20])}.")
        evidence.append(quote(event, code[0]))
    yield _item(
        event,
        title=clip(f"Repository layout of {name}"),
        facts=facts,
        schema_key="root/layout",
        importance=0.55,
        tags=["layout"],
        dedup_hint="scan:layout",
        evidence=evidence,
    )


def _readme(event: Event, scan: dict[str, Any], name: str) -> Iterator[ExtractedItem]:
    readme = scan.get("readme")
    if not isinstance(readme, dict) or not readme.get("summary"):
        return
    summary = str(readme["summary"])
    described = [
        f"{m['path']} describes it as: {m['description']}"
        for m in _own_manifests(scan)
        if m.get("description") and "/" not in str(m.get("path"))
    ][:1]
    facts = [*described, clip(summary, 600)]
    headings = [str(h).lstrip("# ") for h in readme.get("headings") or []][:12]
    if headings:
        facts.append(f"The README ({readme.get('path')}) covers: {', '.join(headings)}.")
    yield _item(
        event,
        title=clip(f"What {name} is"),
        facts=facts,
        files=[str(readme.get("path"))] if readme.get("path") else [],
        schema_key="root/overview",
        importance=0.8,
        confidence=0.9,
        tags=["overview"],
        dedup_hint="scan:overview",
        evidence=[quote(event, summary)],
    )


def _tests(event: Event, scan: dict[str, Any], name: str) -> Iterator[ExtractedItem]:
    tests = scan.get("tests") or {}
    dirs = [str(d) for d in tests.get("dirs") or []]
    runners = [str(r) for r in tests.get("frameworks") or []]
    if not dirs and not runners:
        return
    facts = []
    if runners:
        facts.append(f"Tests run with {', '.join(runners)}.")
    if dirs:
        facts.append(
            f"Tests live in {', '.join(d + '/' for d in dirs[:6])}"
            f" ({plural(int(tests.get('test_files') or 0), 'test file')})."
        )
    configs = [str(c) for c in tests.get("config_files") or []]
    if configs:
        facts.append(f"Test configuration: {', '.join(configs[:6])}.")
    options = tests.get("pytest") or {}
    if isinstance(options, dict) and options.get("addopts"):
        facts.append(f"pytest options: {options['addopts']}.")
    evidence: list[EvidenceRef] = [quote(event, runners[0] if runners else dirs[0])]
    yield _item(
        event,
        type="convention",
        title=clip(f"How {name} is tested" + (f": {', '.join(runners)}" if runners else "")),
        facts=facts,
        files=configs[:6],
        schema_key="root/tests",
        importance=0.65,
        tags=["tests", *runners],
        dedup_hint="scan:tests",
        evidence=evidence,
    )


def _release(event: Event, scan: dict[str, Any], name: str) -> Iterator[ExtractedItem]:
    """A workflow that publishes: what it publishes to, and what really starts it."""
    for workflow in scan.get("ci") or []:
        if not isinstance(workflow, dict) or not workflow.get("jobs"):
            continue
        steps = [str(step) for job in workflow["jobs"].values() for step in job.get("steps", [])]
        targets = sorted({t for word, t in PUBLISHERS.items() for step in steps if word in step})
        if not targets:
            continue
        path = str(workflow["path"])
        on = workflow.get("on") or []
        trigger = "; ".join(map(str, on)) if isinstance(on, list) else str(on)
        facts = [
            f"{path} publishes to {', '.join(targets)}" + (f", on {trigger}." if trigger else ".")
        ]
        publishing = [s for s in steps if any(word in s for word in PUBLISHERS)]
        facts.append(f"Publishing steps: {'; '.join(f'`{clip(s, 100)}`' for s in publishing[:4])}.")
        yield _item(
            event,
            type="convention",
            kind="procedure",
            title=clip(
                f"Releases: {path} publishes to {', '.join(targets)}"
                + (f" on {trigger}" if trigger else "")
            ),
            facts=facts,
            instruction=f"Start {path}" + (f" ({trigger})" if trigger else ""),
            condition="to release a new version",
            expected_outcome=f"the release is published to {', '.join(targets)}",
            files=[path],
            schema_key="root/commands/release",
            importance=0.7,
            tags=["release", "ci"],
            dedup_hint=f"scan:release:{path}",
            evidence=[quote(event, path)],
        )


def _tooling(scan: dict[str, Any], key: str) -> list[dict[str, Any]]:
    entries = (scan.get("tooling") or {}).get(key) or []
    return [entry for entry in entries if isinstance(entry, dict)]


def _build(event: Event, scan: dict[str, Any], name: str) -> Iterator[ExtractedItem]:
    builds = _tooling(scan, "build")
    if not builds:
        return
    facts = [
        f"{name} builds with {b['tool']} ("
        + (f"build backend `{b['backend']}` in " if b.get("backend") else "")
        + f"{b['source']})."
        for b in builds
    ]
    yield _item(
        event,
        title=clip(f"Build backend: {', '.join(dict.fromkeys(str(b['tool']) for b in builds))}"),
        facts=facts,
        files=sorted({str(b["source"]) for b in builds}),
        schema_key="root/build",
        importance=0.6,
        tags=["build", "packaging"],
        dedup_hint="scan:build",
        evidence=[quote(event, str(builds[0].get("backend") or builds[0]["source"]))],
    )


def _versions(event: Event, scan: dict[str, Any], name: str) -> Iterator[ExtractedItem]:
    """One item per language: the versions its most telling source lists (the scan orders
    them), then every source."""
    by_language: dict[str, list[dict[str, Any]]] = {}
    for entry in _tooling(scan, "versions"):
        by_language.setdefault(str(entry["language"]), []).append(entry)
    for language, entries in by_language.items():
        best = entries[0]
        facts = [f"{e['how'].capitalize()} in {e['source']}: {e['versions']}." for e in entries]
        yield _item(
            event,
            title=clip(f"Supported {language} versions: {best['versions']}"),
            facts=facts,
            files=sorted({str(e["source"]) for e in entries}),
            schema_key="root/stack/versions",
            importance=0.7,
            tags=["versions", language.lower()],
            dedup_hint=f"scan:versions:{language.lower()}",
            evidence=[quote(event, str(best["source"]))],
        )


def _linters(event: Event, scan: dict[str, Any], name: str) -> Iterator[ExtractedItem]:
    linters = _tooling(scan, "linters")
    if not linters:
        return
    facts = [
        f"{linter['tool']} ({linter['source']})"
        + (f": {linter['settings']}." if linter.get("settings") else ".")
        for linter in linters
    ]
    tools = ", ".join(dict.fromkeys(str(linter["tool"]) for linter in linters))
    yield _item(
        event,
        type="convention",
        title=clip(f"Linters and formatters: {tools}"),
        facts=facts,
        files=sorted({str(linter["source"]) for linter in linters}),
        schema_key="root/lint",
        importance=0.65,
        tags=["lint", "format"],
        dedup_hint="scan:linters",
        evidence=[quote(event, str(linters[0]["tool"]))],
    )


def _pre_commit(event: Event, scan: dict[str, Any], name: str) -> Iterator[ExtractedItem]:
    pre_commit = (scan.get("tooling") or {}).get("pre_commit")
    if not isinstance(pre_commit, dict) or not pre_commit.get("hooks"):
        return
    hooks = ", ".join(str(hook) for hook in pre_commit["hooks"])
    yield _item(
        event,
        type="convention",
        kind="procedure",
        title=clip(f"pre-commit hooks: {hooks}"),
        facts=[f"{pre_commit['source']} runs these hooks before each commit: {hooks}."],
        instruction="pre-commit install; pre-commit run --all-files",
        condition="before committing",
        expected_outcome=f"{hooks} pass",
        files=[str(pre_commit["source"])],
        schema_key="root/lint/pre-commit",
        importance=0.6,
        tags=["lint", "pre-commit"],
        dedup_hint="scan:pre-commit",
        evidence=[quote(event, str(pre_commit["source"]))],
    )
