"""Items from git commits (``git_digest``): decisions and bug fixes read from the messages, with
the files each commit touched.

A commit becomes at most one item. Its kind comes from a conventional-commit prefix when there
is one (``fix:``, ``feat(auth):``), else from the words of the message: fixes are bugs,
"switch to / replace ... with / instead of / migrate to" are decisions, additions are
implementation (what was built, and in which files). Merges, reverts, version bumps and chores
say nothing worth remembering.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lore.domain import Event
from lore.domain.graph import ItemType
from lore.extraction.offline.build import Options, quote
from lore.extraction.offline.text import bullets, clip, sentences, split_reason
from lore.extraction.prompts_enrich import ExtractedItem
from lore.extraction.schema_keys import schema_key, slug

MAX_FILES = 20
MAX_FACTS = 6
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
    r"initial commit|update (readme|changelog)|typo|format(ting)?\b|lint\b)",
    re.I,
)
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


def _from_commit(event: Event, commit: dict[str, Any], options: Options) -> Iterator[ExtractedItem]:
    subject = str(commit.get("subject") or "").strip()
    body = str(commit.get("body") or "").strip()
    if not subject or commit.get("merge"):
        return
    type_, text, scope = classify(subject, body)
    if type_ is None:
        return
    sha = str(commit.get("sha") or "")
    files = _files(commit)
    what, why = split_reason(text)
    facts = [_sentence(what), *_body_facts(body)]
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
            files, f"{scope or ''} {text}", fallback=scope or type_, package=options.package
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
