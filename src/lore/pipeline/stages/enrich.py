"""Enrich: the session's events not yet enriched become memory items (drafts in the changeset).

The session engine first extracts the trajectories of the steps its extraction run took (the
steps appended through the session API). The other events (saved sessions, commits, scans,
agent tool calls, user requests) are then read for items: with an LLM in chunks of
``pipeline.chunk_size`` (one call per chunk), offline by the rule-based extractor. Either way
every item must quote its events: an item whose quote is not found in the event it cites is
rejected and counted (``rejected_quotes``). New items are drafts, or approved when their
confidence reaches the project's auto-approve level.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from lore.domain import Event
from lore.domain.graph import Changeset, Evidence, ItemStatus, NodeDraft
from lore.errors import StructuredOutputError
from lore.extraction import offline
from lore.extraction.events_text import event_text, normalise, quote_found
from lore.extraction.prompts_enrich import (
    LLM_STEP,
    PROMPT_VERSION,
    EnrichResponse,
    ExtractedItem,
    messages,
)
from lore.extraction.schema_keys import schema_key
from lore.pipeline.context import PipelineState, StageContext, StageResult

REF_PREFIX = "enrich:"


def run(ctx: StageContext, state: PipelineState) -> StageResult:
    events = ctx.store.events.unenriched(ctx.job.session_id)
    trajectories = _trajectories(ctx, state)
    readable = [event for event in events if not is_session_step(event)]
    proposed = list(_extract(ctx, readable, state))
    accepted, rejected = verify_quotes(proposed, readable)
    threshold = _auto_approve(ctx)
    drafts = [
        to_draft(item, f"{REF_PREFIX}{index}", extractor, threshold, ctx.project.name)
        for index, (item, extractor) in enumerate(accepted)
    ]
    changeset = trajectories.model_copy(update={"nodes": [*trajectories.nodes, *drafts]})
    state = state.model_copy(
        update={"changeset": changeset, "event_ids": [event.id for event in events]}
    )
    state.count("events", len(events))
    state.count("trajectory_nodes", len(trajectories.nodes))
    state.count("items_proposed", len(proposed))
    state.count("rejected_quotes", rejected)
    note = f"{len(events)} events, {len(drafts)} items, {rejected} rejected (quote not found)"
    return StageResult(state=state, items=len(drafts), note=note)


def _trajectories(ctx: StageContext, state: PipelineState) -> Changeset:
    """The session engine's extraction of the steps its run took (none for capture sessions,
    whose events are not steps): episodes, trajectories, facts and procedures."""
    run = ctx.store.extractions.for_job(ctx.job.session_id, ctx.job.id)
    if run is None:
        return state.changeset
    extracted = ctx.sessions.extract(run, ctx.providers.llm)
    return extracted.model_copy(update={"job_id": ctx.job.id})


def is_session_step(event: Event) -> bool:
    """A step appended through the session API (observation and action): the session engine
    extracts it with its trajectory, so the item extractor leaves it alone."""
    return (
        event.type == "step" and "observation" in event.payload and "command" not in event.payload
    )


def _extract(
    ctx: StageContext, events: Sequence[Event], state: PipelineState
) -> Iterator[tuple[ExtractedItem, str]]:
    """(item, extractor) pairs: the LLM's per chunk when there is one, else the offline rules'."""
    options = offline.Options(package=ctx.project.name)
    llm = ctx.providers.llm
    if llm is None:
        for item in offline.extract(events, options):
            yield item, offline.EXTRACTOR
        return
    pipeline = ctx.settings.pipeline
    for chunk in chunks(events, pipeline.chunk_size):
        prompt = messages(
            chunk,
            evidence_max_chars=pipeline.evidence_max_chars,
            diff_max_chars=ctx.settings.capture.diff_max_chars,
        )
        try:
            answer = llm.structured(prompt, EnrichResponse, step=LLM_STEP)
        except StructuredOutputError:
            # The model never produced valid items for this chunk: the rules still can.
            state.count("offline_fallback_chunks")
            for item in offline.extract(chunk, options):
                yield item, offline.EXTRACTOR
            continue
        for item in answer.value.items:
            yield item, f"llm:{PROMPT_VERSION}"


def chunks(events: Sequence[Event], size: int) -> Iterator[Sequence[Event]]:
    for start in range(0, len(events), max(size, 1)):
        yield events[start : start + size]


def verify_quotes(
    items: Sequence[tuple[ExtractedItem, str]], events: Sequence[Event]
) -> tuple[list[tuple[ExtractedItem, str]], int]:
    """(items whose every quote is found in the event it cites, how many were rejected)."""
    texts = {event.id: normalise(event_text(event)) for event in events}
    accepted = []
    for item, extractor in items:
        cited = [(ref, texts.get(ref.event_id)) for ref in item.evidence]
        if cited and all(text and quote_found(ref.quote, text) for ref, text in cited):
            accepted.append((item, extractor))
    return accepted, len(items) - len(accepted)


def to_draft(
    item: ExtractedItem, ref: str, extractor: str, approve_at: float | None, package: str
) -> NodeDraft:
    status: ItemStatus = (
        "approved" if approve_at is not None and item.confidence >= approve_at else "draft"
    )
    data: dict[str, object] = {
        "facts": item.facts,
        "rationale": item.rationale,
        "extractor": extractor,
        "prompt_version": PROMPT_VERSION,
    }
    if item.kind == "procedure":
        data |= {
            "instruction": item.instruction,
            "condition": item.condition,
            "expected_outcome": item.expected_outcome,
        }
    key = item.schema_key.strip().lower() or schema_key(
        item.files, f"{item.title} {' '.join(item.facts)}", fallback=item.type, package=package
    )
    return NodeDraft(
        ref=ref,
        kind="procedural" if item.kind == "procedure" else "semantic",
        type=item.type,
        title=item.title,
        body="\n".join(fact for fact in item.facts if normalise(fact) != normalise(item.title)),
        data=data,
        schema_key=key if key.startswith("root") else f"root/{key.strip('/')}",
        status=status,
        confidence=item.confidence,
        importance=item.importance,
        files=item.files,
        tags=item.tags,
        dedup_hint=item.dedup_hint or None,
        commit_from=item.commit,
        commit_to=item.commit,
        evidence=[Evidence(event_id=e.event_id, quote=e.quote) for e in item.evidence],
    )


def _auto_approve(ctx: StageContext) -> float | None:
    project_level = ctx.project.settings.auto_approve_confidence
    return (
        project_level
        if project_level is not None
        else ctx.settings.pipeline.auto_approve_confidence
    )
