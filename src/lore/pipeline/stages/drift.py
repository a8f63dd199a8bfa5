"""Drift Check: commits this job brought in can make stored knowledge stale, or resolve it.

For every commit among the job's events, oldest first, the current items (draft or approved)
that name one of the commit's files are checked, when the commit came after the item was
recorded (its timestamp is later than the item's creation, and it is not the item's own commit):
- an open bug or todo item (one not itself read from a commit) the commit fixes (a fix commit, sharing files and enough keywords with the
  item) is archived when the match is strong, else sent to review;
- any other item is sent to review: its files changed since it was written.
The commit, the files and the reason are recorded in the item's ``data["drift"]``. Bug and todo
drafts of this changeset fixed by a later commit of the same job are treated the same way.
Stored items are updated at once (the repository changed, whatever happens to this changeset).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lore.domain.graph import Node, NodeDraft
from lore.extraction.offline.commits import classify
from lore.extraction.offline_trajectory import content_terms
from lore.pipeline.context import DriftFinding, PipelineState, StageContext, StageResult
from lore.store.base import ItemFilter

CHECKED_STATUSES = ("draft", "approved")
RESOLVABLE_TYPES = ("bug", "todo")
MAX_ITEMS_PER_COMMIT = 500
# A fix resolves a bug or todo for sure when they share files and this share of the item's
# keywords (at least MIN_SHARED_TERMS of them); a weaker match only sends it to review.
STRONG_OVERLAP = 0.5
MIN_SHARED_TERMS = 2


@dataclass(frozen=True, slots=True)
class Commit:
    event_id: int
    sha: str
    subject: str
    body: str
    files: tuple[str, ...]
    timestamp: float

    @property
    def is_fix(self) -> bool:
        kind, _, _ = classify(self.subject, self.body)
        return kind == "bug" or any(
            word in self.subject.lower() for word in ("fix", "resolve", "close", "implement")
        )


def run(ctx: StageContext, state: PipelineState) -> StageResult:
    commits = sorted(commits_of(ctx, state.event_ids), key=lambda c: c.timestamp)
    if not commits:
        return StageResult(state=state, note="no commits in this job")
    findings: dict[int, DriftFinding] = {}
    for commit in commits:
        for node in _stored_items(ctx, commit):
            if node.id not in findings and _after(commit, node):
                findings[node.id] = judge(node, commit)
    for finding in findings.values():
        _record(ctx, finding)
    state, drafts_resolved = _resolve_drafts(state, commits)
    state = state.model_copy(update={"drift": [*state.drift, *findings.values()]})
    review = sum(1 for f in findings.values() if f.status == "review")
    archived = len(findings) - review
    state.count("drift_review", review)
    state.count("drift_archived", archived)
    note = (
        f"{len(commits)} commits: {review} items to review, {archived} archived,"
        f" {drafts_resolved} new items already resolved"
    )
    return StageResult(state=state, items=len(findings) + drafts_resolved, note=note)


def commits_of(ctx: StageContext, event_ids: Sequence[int]) -> Iterator[Commit]:
    for event_id in event_ids:
        event = ctx.store.events.get(event_id)
        if event.type != "git_digest":
            continue
        for commit in event.payload.get("commits") or []:
            if isinstance(commit, dict) and commit.get("sha"):
                yield _commit(event_id, commit, event.occurred_at or event.created_at)


def _commit(event_id: int, commit: dict[str, Any], fallback_time: float) -> Commit:
    files = [
        entry.get("path") if isinstance(entry, dict) else entry
        for entry in commit.get("files") or []
    ]
    return Commit(
        event_id=event_id,
        sha=str(commit["sha"]),
        subject=str(commit.get("subject") or ""),
        body=str(commit.get("body") or ""),
        files=tuple(path for path in files if isinstance(path, str) and path),
        timestamp=float(commit.get("timestamp") or fallback_time),
    )


def _stored_items(ctx: StageContext, commit: Commit) -> list[Node]:
    if not commit.files:
        return []
    where = ItemFilter(files=commit.files, statuses=CHECKED_STATUSES, current=True)
    return ctx.store.graph.items(ctx.job.project_id, where, limit=MAX_ITEMS_PER_COMMIT)


def _after(commit: Commit, node: Node) -> bool:
    own = commit.sha in (node.commit_from, node.commit_to)
    return not own and commit.timestamp > node.created_at


def judge(item: Node | NodeDraft, commit: Commit) -> DriftFinding:
    """Review or archive ``item`` (which shares files with ``commit``, or is a resolvable draft)."""
    shared = sorted(set(item.files) & set(commit.files))
    node_id = item.id if isinstance(item, Node) else -1
    if item.type in RESOLVABLE_TYPES and item.commit_to is None and commit.is_fix:
        strength = resolution_strength(item, commit)
        if strength >= STRONG_OVERLAP and shared:
            reason = (
                f"fixed by {commit.sha[:10]} ({commit.subject}), which changed {', '.join(shared)}"
            )
            return DriftFinding(
                node_id=node_id, status="archived", commit=commit.sha, reason=reason
            )
        if strength > 0 or shared:
            reason = f"possibly fixed by {commit.sha[:10]} ({commit.subject})"
            return DriftFinding(node_id=node_id, status="review", commit=commit.sha, reason=reason)
    reason = f"{', '.join(shared) or 'its files'} changed in {commit.sha[:10]} ({commit.subject}) after it was recorded"
    return DriftFinding(node_id=node_id, status="review", commit=commit.sha, reason=reason)


def resolution_strength(item: Node | NodeDraft, commit: Commit) -> float:
    """The share of the item's keywords the commit message uses (0 below MIN_SHARED_TERMS)."""
    wanted = set(content_terms(f"{item.title} {item.body}"))
    said = set(content_terms(f"{commit.subject} {commit.body}"))
    shared = wanted & said
    if len(shared) < MIN_SHARED_TERMS or not wanted:
        return 0.0
    return len(shared) / min(len(wanted), len(said))


def _record(ctx: StageContext, finding: DriftFinding) -> None:
    node = ctx.store.graph.get(finding.node_id)
    drift = {
        "commit": finding.commit,
        "reason": finding.reason,
        "job_id": ctx.job.id,
        "at": ctx.clock(),
        "previous_status": node.status,
    }
    ctx.store.graph.update(
        finding.node_id, status=finding.status, data={**node.data, "drift": drift}
    )


def _resolve_drafts(state: PipelineState, commits: list[Commit]) -> tuple[PipelineState, int]:
    """Bug and todo drafts that a later commit of this job fixes."""
    nodes, resolved = [], 0
    fixes = [commit for commit in commits if commit.is_fix]  # classified once, not per draft
    for draft in state.changeset.nodes:
        finding = None
        if draft.type in RESOLVABLE_TYPES and draft.commit_to is None:
            latest_evidence = max((e.event_id for e in draft.evidence), default=0)
            finding = next(
                (
                    judge(draft, commit)
                    for commit in fixes
                    if commit.event_id > latest_evidence and resolution_strength(draft, commit) > 0
                ),
                None,
            )
        if finding is None:
            nodes.append(draft)
            continue
        resolved += 1
        record = {"commit": finding.commit, "reason": finding.reason}
        nodes.append(
            draft.model_copy(
                update={"status": finding.status, "data": {**draft.data, "drift": record}}
            )
        )
    changeset = state.changeset.model_copy(update={"nodes": nodes})
    return state.model_copy(update={"changeset": changeset}), resolved
