"""Deep Enrich: items that name files get the implementation details of those files.

When the project links a repository (a local folder, or a git URL cloned into
``$LORE_HOME/repos``), each new item's files are parsed with tree-sitter: HTTP routes, schemas
(with their fields) and signatures are attached as ``data["code"]``, and the routes and schemas
are added to its facts. With an LLM (the code model when ``llm.code_model`` is set), the facts
are rewritten with those details instead. Skipped, and shown as skipped, when the project links
no repository, turns Deep Enrich off, or its repository cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lore.code import FileAnalysis, Signature, analyze_file, supported
from lore.code.repos import working_copy
from lore.domain.graph import NodeDraft
from lore.errors import LoreError, StructuredOutputError
from lore.extraction.prompts_deep_enrich import LLM_STEP, PROMPT_VERSION, RewrittenFacts, messages
from lore.pipeline.context import PipelineState, StageContext, StageResult

MAX_FILES_PER_JOB = 200
MAX_FILES_PER_ITEM = 10
MAX_SIGNATURES = 12
MAX_LLM_REWRITES = 20


def run(ctx: StageContext, state: PipelineState) -> StageResult:
    reason = _skip_reason(ctx)
    if reason is not None:
        return StageResult(state=state, skipped=True, note=reason)
    assert ctx.project.repo is not None
    try:
        root = working_copy(ctx.project.repo, ctx.settings.home)
    except LoreError as exc:
        return StageResult(state=state, skipped=True, note=f"repository unavailable: {exc}")
    files = _Files(root)
    rewrites = 0
    nodes = []
    enriched = 0
    for draft in state.changeset.nodes:
        details = files.details_for(draft)
        if details:
            use_llm = ctx.providers.llm is not None and rewrites < MAX_LLM_REWRITES
            draft = _rewritten(ctx, draft, details) if use_llm else _with_code(draft, details)
            rewrites += int(use_llm)
            enriched += 1
        nodes.append(draft)
    changeset = state.changeset.model_copy(update={"nodes": nodes})
    note = f"{enriched} items given code details from {files.read} files of {root}"
    return StageResult(
        state=state.model_copy(update={"changeset": changeset}), items=enriched, note=note
    )


def _skip_reason(ctx: StageContext) -> str | None:
    if not ctx.project.settings.deep_enrich:
        return "turned off for this project"
    if not ctx.project.repo:
        return "no repository linked to the project"
    return None


class _Files:
    """Analyses of the repository's files, each read once per job."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache: dict[str, FileAnalysis | None] = {}

    @property
    def read(self) -> int:
        return len(self.cache)

    def details_for(self, draft: NodeDraft) -> list[dict[str, Any]]:
        if draft.kind not in ("semantic", "procedural") or draft.merge_into is not None:
            return []
        text = f"{draft.title} {draft.body}"
        details = []
        for path in draft.files[:MAX_FILES_PER_ITEM]:
            analysis = self.analysis(self._relative(path))
            if analysis is not None and not analysis.empty:
                details.append(_summary(analysis, text))
        return details

    def analysis(self, path: str | None) -> FileAnalysis | None:
        if path is None or not supported(path):
            return None
        if path not in self.cache:
            if len(self.cache) >= MAX_FILES_PER_JOB:
                return None
            try:
                self.cache[path] = analyze_file(self.root, path)
            except (OSError, ValueError):
                self.cache[path] = None
        return self.cache[path]

    def _relative(self, path: str) -> str | None:
        candidate = Path(path)
        if candidate.is_absolute():
            try:
                return candidate.relative_to(self.root).as_posix()
            except ValueError:
                return None
        return path.removeprefix("./")


def _summary(analysis: FileAnalysis, item_text: str) -> dict[str, Any]:
    """The file's routes and schemas, and the signatures the item names (or the first ones)."""
    named = [s for s in analysis.signatures if _short(s) in item_text]
    signatures = (named or analysis.signatures)[:MAX_SIGNATURES]
    data = analysis.as_dict()
    data["signatures"] = [
        {"kind": s.kind, "name": s.name, "text": s.text, "line": s.line, "doc": s.doc}
        for s in signatures
    ]
    data["facts"] = analysis.facts()
    return data


def _short(signature: Signature) -> str:
    return signature.name.rsplit(".", 1)[-1]


def _with_code(draft: NodeDraft, details: list[dict[str, Any]]) -> NodeDraft:
    facts = list(draft.data.get("facts") or draft.body.splitlines())
    facts += [fact for detail in details for fact in detail["facts"] if fact not in facts]
    return _updated(draft, facts, details, rewritten_by=None)


def _rewritten(ctx: StageContext, draft: NodeDraft, details: list[dict[str, Any]]) -> NodeDraft:
    facts = list(draft.data.get("facts") or draft.body.splitlines())
    code = [{k: v for k, v in d.items() if k != "facts"} for d in details]
    assert ctx.providers.llm is not None
    try:
        answer = ctx.providers.llm.structured(
            messages(draft.title, facts, code), RewrittenFacts, step=LLM_STEP
        )
    except StructuredOutputError:
        return _with_code(draft, details)
    rewritten = [fact.strip() for fact in answer.value.facts if fact.strip()]
    if not rewritten:
        return _with_code(draft, details)
    return _updated(draft, rewritten, details, rewritten_by=f"llm:{PROMPT_VERSION}")


def _updated(
    draft: NodeDraft, facts: list[str], details: list[dict[str, Any]], rewritten_by: str | None
) -> NodeDraft:
    data = {
        **draft.data,
        "facts": facts,
        "code": [{k: v for k, v in d.items() if k != "facts"} for d in details],
    }
    if rewritten_by:
        data["facts_before_deep_enrich"] = draft.data.get("facts") or draft.body.splitlines()
        data["deep_enrich"] = rewritten_by
    return draft.model_copy(update={"data": data, "body": "\n".join(facts)})
