"""Items from git commits (``git_digest``): decisions and bug fixes read from the messages, with
the files each commit touched and why.

A commit becomes at most one item. Its kind comes from a conventional-commit prefix when there
is one (``fix:``, ``feat(auth):``), else from the words of the message: fixes are bugs,
"switch to / replace ... with / instead of / migrate to" are decisions, additions are
implementation (what was built, and in which files). Merges, reverts, version bumps, typo and
formatting fixes, chores and commits that only move changelog lines say nothing worth
remembering; a release commit instead summarises the commits it ships (``from_releases``). The item carries the reason where the commit has one: its body, the changelog
lines it adds, the issues or pull requests it names, and the functions its diff changes. Its
schema key comes from the source files it changes, not from the tests and docs it also touches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import PurePosixPath
from typing import Any

from lore.capture.scan import manifest_role
from lore.code.modules import TEST_FILE
from lore.domain import Event
from lore.domain.graph import ItemType
from lore.extraction.offline.build import Options, quote
from lore.extraction.offline.text import bullets, clip, sentences, split_reason
from lore.extraction.prompts_enrich import ExtractedItem
from lore.extraction.schema_keys import schema_key, slug

MAX_FILES = 20
MAX_FACTS = 6
MAX_RELEASE_CHANGES = 15
# The subject of a release commit, and the version it names.
_RELEASE = re.compile(
    r"^(?:chore(?:\(release\))?:\s*)?(?:release[sd]?(?: version)?|releasing|bump(?:ed)? version(?: to)?|"
    r"version|prepare (?:for )?release)?\s*v?(?P<version>\d+\.\d+(?:\.\d+)?(?:[-.+]?\w+)?)\s*$",
    re.I,
)
_CONVENTIONAL = re.compile(r"^(?P<kind>[a-zA-Z]+)(?:\((?P<scope>[^)]*)\))?!?:\s*(?P<text>.+)$")
_KINDS: dict[str, ItemType | None] = {
    "fix": "bug", "bugfix": "bug", "hotfix": "bug", "feat": "implementation",
    "feature": "implementation", "perf": "implementation", "refactor": "implementation",
    "security": "bug", "docs": None, "doc": None, "style": None, "test": None, "tests": None,
    "chore": None, "ci": None, "build": None, "release": None, "revert": None, "wip": None,
}  # fmt: skip
_FIX = re.compile(
    r"^(fix(es|ed)?|resolve[sd]?|patch(ed)?|hotfix|repair(ed)?|correct(s|ed)?)\b|\b(bug|crash|regression)\b",
    re.I,
)
_DECISION = re.compile(
    r"\b(switch(ed|es|ing)?\b.{0,40}?\bto|replace[sd]?\b.{1,60}?\b(with|by)|"
    r"migrat(e|ed|es|ion)\b.{0,40}?\bto|mov(e|ed|es|ing)\b.{0,40}?\b(to|away from)|instead of|rather than|in favou?r of|adopt(s|ed)?|"
    r"decid(e|ed|es)|drop(s|ped)? (support|the use)|deprecat(e|ed|es)|"
    r"use[sd]? .{1,40}? over)\b",
    re.I,
)
_NOISE = re.compile(
    r"^(merge (branch|pull request|remote)|revert\b|bump\b|release\b|v?\d+\.\d+(\.\d+)?$|wip\b|"
    r"initial commit|update (readme|changelog|changes|news|version)|typo|format(ting)?\b|lint\b|"
    r"(fix(es|ed)?|correct(s|ed)?) (a |some |the )?(typos?|spelling|whitespace|formatting|lint)|"
    r"(re)?format(ted)? (with|code|the code)|apply (black|ruff|prettier|isort)|"
    r"pre-commit autoupdate|prepare (for )?(the )?release|version \d|changelog\b)",
    re.I,
)
# Prose and CI configuration: about the code rather than the code.
SUPPORT_SUFFIXES = (".md", ".rst", ".txt")
SUPPORT_FOLDERS = (".github", ".circleci")
_CHANGELOG = re.compile(r"(^|/)(changes|changelog|news|history|release[-_]?notes)[^/]*$", re.I)
_REFERENCE = re.compile(r"(?<![\w/])(?:gh-|#)(\d{1,6})\b")
_HUNK_SCOPE = re.compile(
    r"^@@ [^@]+ @@.*?\b(?:def|class|func|function|fn|fun|sub|interface|struct|impl)\s+"
    r"(?:\([^)]*\)\s*)?([A-Za-z_][\w.]*)",
)
_DIFF_FILE = re.compile(r"^diff --git a/\S+ b/(\S+)$")
MAX_CHANGELOG = 3
MAX_FUNCTIONS = 8
# (confidence, importance) per item type read from a commit.
_WEIGHTS: dict[ItemType, tuple[float, float]] = {
    "bug": (0.8, 0.6),
    "decision": (0.7, 0.7),
    "implementation": (0.75, 0.4),
}


def from_git_digest(event: Event, options: Options) -> list[ExtractedItem]:
    commits = event.payload.get("commits") or []
    return [
        item
        for commit in commits
        if isinstance(commit, dict)
        for item in _from_commit(event, commit, options)
    ]


def classify(subject: str, body: str) -> tuple[ItemType | None, str, str | None]:
    """(item type or None to skip, the subject without its prefix, the conventional scope)."""
    match = _CONVENTIONAL.match(subject)
    if match and match["kind"].lower() in _KINDS:
        text, scope = match["text"].strip(), (match["scope"] or None)
        kind = _KINDS[match["kind"].lower()]
        if kind is None or kind == "implementation":
            return ("decision" if _DECISION.search(f"{text}\n{body}") else kind), text, scope
        return kind, text, scope
    if _NOISE.match(subject) or len(subject) < 8:
        return None, subject, None
    if _FIX.search(subject):
        return "bug", subject, None
    if _DECISION.search(subject) or _DECISION.search(body):
        return "decision", subject, None
    return "implementation", subject, None


def _kind(commit: dict[str, Any]) -> tuple[ItemType, str, str | None] | None:
    """What ``classify`` says of a commit worth an item: not a merge, not one that only moves
    changelog lines (written for a release: no change of its own), not a trivial one."""
    subject = str(commit.get("subject") or "").strip()
    if not subject or commit.get("merge"):
        return None
    files = _files(commit)
    if files and all(_CHANGELOG.search(path) for path in files):
        return None
    type_, text, scope = classify(subject, str(commit.get("body") or "").strip())
    return (type_, text, scope) if type_ is not None else None


def _from_commit(event: Event, commit: dict[str, Any], options: Options) -> Iterator[ExtractedItem]:
    kind = _kind(commit)
    if kind is None:
        return
    type_, text, scope = kind
    subject = str(commit.get("subject") or "").strip()
    body = str(commit.get("body") or "").strip()
    files = _files(commit)
    sha = str(commit.get("sha") or "")
    diff = str(commit.get("diff") or "")
    changelog = _changelog_lines(diff)
    what, why = split_reason(_without_references(text) or text)
    if len(what.split()) < 3 and (changelog or body):  # "Closes #2121.": say what it did
        what = changelog[0] if changelog else sentences(body)[0]
    facts = [_sentence(what), *_body_facts(body)]
    facts += [f"Changelog: {_sentence(line)}" for line in changelog if line != what]
    facts += _function_facts(diff)
    references = sorted({int(n) for n in _REFERENCE.findall(f"{subject}\n{body}")})
    if references:
        facts.append("Issues and pull requests: " + ", ".join(f"#{n}" for n in references) + ".")
    if type_ == "bug" and sha:
        facts.append(f"Fixed in commit {sha[:10]}.")
    rationale = why or _body_rationale(body)
    if type_ == "decision" and not rationale and body:
        rationale = sentences(body)[0]  # a decision's body usually says why
    confidence, importance = _WEIGHTS.get(type_, (0.7, 0.5))
    title = clip(what[:1].upper() + what[1:])
    yield ExtractedItem(
        type=type_,
        title=title,
        facts=facts[:MAX_FACTS],
        rationale=rationale,
        files=files,
        schema_key=schema_key(
            source_files(files),
            f"{scope or ''} {text}",
            fallback=scope or type_,
            package=options.package,
        ),
        confidence=confidence,
        importance=min(1.0, importance + _size_bonus(commit)),
        tags=sorted({"git", type_, *([slug(scope)] if scope else [])}),
        dedup_hint=f"commit:{sha[:12]}" if sha else f"{type_}:{slug(title)[:60]}",
        evidence=[quote(event, subject)],
        commit=sha or None,
    )


def _files(commit: dict[str, Any]) -> list[str]:
    paths = []
    for entry in commit.get("files") or []:
        path = entry.get("path") if isinstance(entry, dict) else entry
        if isinstance(path, str) and path and not (isinstance(entry, dict) and entry.get("binary")):
            paths.append(path)
    return paths[:MAX_FILES]


def source_files(files: list[str]) -> list[str]:
    """The files that are the code, when a commit also touches tests or docs; else all."""
    return [path for path in files if not supporting(path)] or files


def supporting(path: str) -> bool:
    """A file about the code rather than the code: in a folder of tests, docs, examples,
    fixtures or vendored code (the scan's roles), a test file, prose, or CI configuration."""
    pure = PurePosixPath(path)
    return (
        manifest_role(path) != "project"
        or bool(TEST_FILE.match(pure.name))
        or pure.suffix.lower() in SUPPORT_SUFFIXES
        or pure.parts[0] in SUPPORT_FOLDERS
    )


def _without_references(text: str) -> str:
    """The subject without "closes #12", "(#12)" and the like."""
    text = re.sub(
        r"\b(close[sd]?|fix(e[sd])?|resolve[sd]?|refs?|see)\s+(#|gh-)\d+", "", text, flags=re.I
    )
    text = re.sub(r"\(\s*(#|gh-)\d+\s*\)|(#|gh-)\d+", "", text)
    return " ".join(text.split()).strip(" .,;:-")


def _changelog_lines(diff: str) -> list[str]:
    """The lines a commit adds to a changelog (bullet marks and links trimmed)."""
    found: list[str] = []
    current = ""
    for line in diff.splitlines():
        header = _DIFF_FILE.match(line)
        if header:
            current = header[1]
        elif _CHANGELOG.search(current) and line.startswith("+") and not line.startswith("+++"):
            text = re.sub(r"^\+\s*([-*+]|\d+\.)?\s*", "", line).strip()
            # headings, rules and reStructuredText directives (".. currentmodule::") are no news
            if len(text.split()) >= 3 and not text.startswith(("#", "=", "-", "..", ":")):
                found.append(text)
    return found[:MAX_CHANGELOG]


def _function_facts(diff: str) -> list[str]:
    """``Changed: parse(), Loader.load() in src/app/config.py.``: the functions and classes the
    diff's hunks are in, per source file."""
    changed: dict[str, list[str]] = {}
    current = ""
    for line in diff.splitlines():
        header = _DIFF_FILE.match(line)
        if header:
            current = header[1]
            continue
        scope = _HUNK_SCOPE.match(line)
        if scope and current and not supporting(current):
            names = changed.setdefault(current, [])
            if scope[1] not in names:
                names.append(scope[1])
    return [
        f"Changed: {', '.join(name + '()' for name in names[:MAX_FUNCTIONS])} in {path}."
        for path, names in list(changed.items())[:3]
    ]


def _body_facts(body: str) -> list[str]:
    """The body's bullet points, else its first sentences (trailers like Signed-off-by dropped)."""
    lines = [line for line in body.splitlines() if not re.match(r"^[\w-]+: .+@", line)]
    kept = "\n".join(lines)
    found = bullets(kept) or sentences(kept)[:3]
    return [_sentence(fact) for fact in found if len(fact) > 3]


def _body_rationale(body: str) -> str:
    """The first sentence of the body that gives a reason."""
    return next((s for s in sentences(body) if split_reason(s)[1]), "")


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _size_bonus(commit: dict[str, Any]) -> float:
    changed = int(commit.get("insertions") or 0) + int(commit.get("deletions") or 0)
    return 0.1 if changed > 200 else 0.05 if changed > 50 else 0.0


def from_releases(events: Sequence[Event], options: Options) -> list[ExtractedItem]:
    """A release commit ("Release 8.1.7", "chore(release): v2.0.0", "Bump version to 1.4")
    becomes a summary of the changes it ships: the commits since the previous release. Only a
    range read whole makes one: the previous release, or the first commit of the history,
    must be among the events."""
    listed = [
        (commit, event)
        for event in events
        if event.type == "git_digest"
        for commit in event.payload.get("commits") or []
        if isinstance(commit, dict)
    ]
    depth = _depths([commit for commit, _ in listed])
    commits = sorted(listed, key=lambda pair: (depth[id(pair[0])], pair[0].get("timestamp") or 0))
    items: list[ExtractedItem] = []
    shipped: list[str] = []
    whole = bool(commits) and commits[0][0].get("parents") == []  # the history's first commit
    previous = ""
    for commit, event in commits:
        subject = str(commit.get("subject") or "").strip()
        version = release_version(subject)
        if version is None:
            if _kind(commit) is not None:
                shipped.append(_without_references(subject) or subject)
            continue
        if whole and shipped:
            items.append(_release(event, commit, version, previous, shipped))
        shipped, whole, previous = [], True, version
    return items


def _depths(commits: list[dict[str, Any]]) -> dict[int, int]:
    """How many of ``commits`` come before each (by ``id``), following their parents: oldest
    first whatever order they were read in, even when many share one second."""
    by_sha = {str(c.get("sha")): c for c in commits if c.get("sha")}
    depth: dict[int, int] = {}
    for start in commits:
        stack = [start]
        while stack:
            commit = stack[-1]
            parents = [by_sha[p] for p in commit.get("parents") or [] if p in by_sha]
            waiting = [p for p in parents if id(p) not in depth]
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            depth[id(commit)] = 1 + max((depth[id(p)] for p in parents), default=-1)
    return depth


def release_version(subject: str) -> str | None:
    match = _RELEASE.match(subject)
    return match["version"] if match else None


def _release(
    event: Event, commit: dict[str, Any], version: str, previous: str, shipped: list[str]
) -> ExtractedItem:
    since = f" since {previous}" if previous else ""
    listed = [_sentence(subject) for subject in shipped[-MAX_RELEASE_CHANGES:]]
    more = len(shipped) - len(listed)
    facts = [
        f"{version} was released in commit {str(commit.get('sha') or '')[:10]}"
        f" on {commit.get('date') or 'an unknown date'}, with {len(shipped)} changes{since}.",
        *listed,
        *([f"And {more} earlier changes."] if more > 0 else []),
    ]
    return ExtractedItem(
        type="implementation",
        title=clip(f"Release {version}: {'; '.join(shipped[-3:])}"),
        facts=facts,
        schema_key="root/releases",
        confidence=0.85,
        importance=0.55,
        tags=["git", "release"],
        dedup_hint=f"release:{version}",
        evidence=[quote(event, str(commit.get("subject") or ""))],
        commit=str(commit.get("sha") or "") or None,
    )
